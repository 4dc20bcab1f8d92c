// `dualchat cert`: its flags. Writing the pair is src/cli/cert-run.ts, loaded by the action only.
import { Command } from 'commander';

export interface CertFlags {
  out: string;
  name?: string;
}

export function certCommand(): Command {
  return new Command('cert')
    .description('write a self-signed TLS certificate and key for a quick start (cert.pem, key.pem)')
    .requiredOption('--out <dir>', 'directory to write cert.pem and key.pem into (created if missing)')
    .option('--name <host>', 'the host name or address clients connect to (localhost and loopback are always included)')
    .addHelpText(
      'after',
      [
        '',
        'Then:  dualchat server --tls-cert DIR/cert.pem --tls-key DIR/key.pem',
        '       dualchat client --tls --ca DIR/cert.pem --host HOST',
        'key.pem is written readable by its owner only (0600); an existing pair is not overwritten.',
      ].join('\n'),
    )
    .action(async (flags: CertFlags) => {
      const { runCert } = await import('./cert-run.ts');
      process.exitCode = await runCert(flags, (line) => process.stdout.write(`${line}\n`), (line) => process.stderr.write(`dualchat cert: ${line}\n`));
    });
}
