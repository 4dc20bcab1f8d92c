// The node's two connections to Redis: one for commands (scripts, publishes), one subscribed to the
// cluster's channel. Neither queues a command while Redis is away nor sends one again after a reconnect:
// a command made while the link is down fails at once, one in flight when it drops fails then — so
// nothing reaches the other nodes late or twice. Both reconnect by themselves with backoff; the link is
// up when both are connected and the channel is subscribed.
import { Redis, type RedisOptions } from 'ioredis';
import { RECONNECT_FIRST_DELAY_MS, RECONNECT_MAX_DELAY_MS, REDIS_CONNECT_TIMEOUT_MS, REDIS_DISCONNECT_TIMEOUT_MS } from './constants.ts';
import type { RedisTarget } from './redis-url.ts';
import type { Script } from './scripts.ts';

export interface LinkHooks {
  /** Both connections are back (not called for the first connect). */
  up(): void;
  /** A connection was lost (once per outage). */
  down(reason: string): void;
  /** A message on the channel. */
  message(text: string): void;
}

/** Retry after `times` failed attempts: doubling from the first delay, at most the max. */
export function reconnectDelay(times: number): number {
  return Math.min(RECONNECT_FIRST_DELAY_MS * 2 ** Math.max(0, times - 1), RECONNECT_MAX_DELAY_MS);
}

export class RedisLink {
  private started = false;
  private commandsReady = false;
  private subscribed = false;
  private wasUp = false;
  private closing = false;
  private lastError = '';

  private constructor(
    private readonly commands: Redis,
    private readonly events: Redis,
    private readonly channel: string,
    private readonly hooks: LinkHooks,
  ) {}

  /** Connect both; rejects with the reason when Redis cannot be reached (nothing is left open then). */
  static async open(target: RedisTarget, channel: string, hooks: LinkHooks): Promise<RedisLink> {
    let link: RedisLink | undefined;
    const options: RedisOptions = {
      host: target.host,
      port: target.port,
      db: target.db,
      ...(target.username !== undefined ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      lazyConnect: true,
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      disconnectTimeout: REDIS_DISCONNECT_TIMEOUT_MS,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      maxRetriesPerRequest: 0,
      // No retry before the first connect went through: a start that cannot reach Redis fails.
      retryStrategy: (times) => (link?.started === true && !link.closing ? reconnectDelay(times) : null),
    };
    const commands = new Redis(options);
    const events = new Redis(options);
    link = new RedisLink(commands, events, channel, hooks);
    link.watch();
    try {
      await Promise.all([commands.connect(), events.connect()]);
      await events.subscribe(channel);
    } catch (error) {
      commands.disconnect();
      events.disconnect();
      throw new Error(link.lastError || (error instanceof Error ? error.message : String(error)));
    }
    link.commandsReady = true;
    link.subscribed = true;
    link.wasUp = true;
    link.started = true;
    return link;
  }

  get up(): boolean {
    return this.commandsReady && this.subscribed;
  }

  /**
   * Put `scripts` in Redis's script cache: done at every (re)connect before anything runs (a restarted
   * Redis has an empty cache), so that a script's first run is not a NOSCRIPT answer and a second send —
   * which would reach Redis after commands sent later (a publish), out of order.
   */
  async loadScripts(scripts: readonly Script[]): Promise<void> {
    await Promise.all(scripts.map((s) => this.commands.script('LOAD', s.lua)));
  }

  /** Run a script of scripts.ts with the prefix and channel first, then `args`. */
  async run(script: Script, prefix: string, args: ReadonlyArray<string | number>): Promise<unknown> {
    const all = [prefix, this.channel, ...args];
    try {
      return await this.commands.evalsha(script.sha, 0, ...all);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.commands.eval(script.lua, 0, ...all);
    }
  }

  /** Publish `text` on the channel; resolves once Redis took it. */
  async publish(text: string): Promise<void> {
    await this.commands.publish(this.channel, text);
  }

  /** Redis's CPU seconds (user + system) as INFO reports them, for the status and the benchmark. */
  async redisCpuSeconds(): Promise<number | undefined> {
    const info = await this.commands.info('cpu');
    const user = /used_cpu_user:([0-9.]+)/.exec(info)?.[1];
    const sys = /used_cpu_sys:([0-9.]+)/.exec(info)?.[1];
    return user === undefined || sys === undefined ? undefined : Number(user) + Number(sys);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([quit(this.commands), quit(this.events)]);
  }

  private watch(): void {
    const lost = (reason: string): void => {
      if (!this.started || this.closing || !this.wasUp) return;
      this.wasUp = false;
      this.hooks.down(reason);
    };
    for (const client of [this.commands, this.events]) {
      client.on('error', (error: Error) => {
        this.lastError = error.message;
      });
    }
    this.commands.on('close', () => {
      this.commandsReady = false;
      lost(this.lastError || 'connection closed');
    });
    this.events.on('close', () => {
      this.subscribed = false;
      lost(this.lastError || 'connection closed');
    });
    this.commands.on('ready', () => {
      if (!this.started) return;
      this.commandsReady = true;
      this.maybeUp();
    });
    this.events.on('ready', () => {
      if (!this.started) return;
      this.events.subscribe(this.channel).then(
        () => {
          this.subscribed = true;
          this.maybeUp();
        },
        (error: unknown) => {
          this.lastError = error instanceof Error ? error.message : String(error);
        },
      );
    });
    this.events.on('message', (_channel: string, text: string) => this.hooks.message(text));
  }

  private maybeUp(): void {
    if (!this.up || this.wasUp || this.closing) return;
    this.wasUp = true;
    this.lastError = '';
    this.hooks.up();
  }
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
