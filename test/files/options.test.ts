import { describe, expect, it } from 'vitest';
import { formatSize, percentDone } from '../../src/files/format.ts';
import { DEFAULT_MAX_UPLOAD_BYTES, IMAGE_TYPES } from '../../src/files/limits.ts';
import { DEFAULT_FILE_OPTIONS, parseUploadTypes, resolveFileOptions } from '../../src/files/options.ts';
import { checkUploadRequest } from '../../src/files/upload-rules.ts';

describe('parseUploadTypes', () => {
  it.each([
    ['.txt,.pdf', ['.txt', '.pdf']],
    ['txt pdf  JPG', ['.txt', '.pdf', '.jpg']],
    ['.TXT, .md, .txt', ['.txt', '.md']],
  ])('%j', (text, types) => expect(parseUploadTypes(text)).toEqual({ ok: true, types }));

  it.each(['', ' , ', '.t/x', '..txt', '*.txt', 'a'.repeat(17)])('refuses %j', (text) => {
    expect(parseUploadTypes(text).ok).toBe(false);
  });
});

describe('resolveFileOptions', () => {
  it('fills in the defaults and normalises types', () => {
    expect(resolveFileOptions()).toEqual({ ok: true, options: { ...DEFAULT_FILE_OPTIONS, uploadTypes: ['.txt', '.pdf', '.jpg', '.png', '.gif', '.webp', '.bmp'] } });
    expect(resolveFileOptions({ uploadTypes: ['TXT'] })).toMatchObject({ ok: true, options: { uploadTypes: ['.txt'] } });
  });

  it.each([
    [{ maxUploadBytes: -1 }, /upload limit/],
    [{ maxUploadBytes: 1.5 }, /upload limit/],
    [{ uploadTypes: [] }, /at least one/],
    [{ uploadSlots: 0 }, /uploadSlots must be a whole number ≥ 1/],
    [{ maxDownloadsPerClient: 0 }, /maxDownloadsPerClient/],
    [{ maxWaitingUploads: -2 }, /maxWaitingUploads/],
  ])('refuses %j', (partial, message) => {
    const r = resolveFileOptions(partial);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('checkUploadRequest', () => {
  const options = DEFAULT_FILE_OPTIONS;
  it('accepts an allowed type within the limit, including exactly the limit', () => {
    expect(checkUploadRequest({ name: 'notes.txt', size: 10 }, options)).toEqual({ ok: true });
    expect(checkUploadRequest({ name: 'photo.PNG', size: DEFAULT_MAX_UPLOAD_BYTES }, options)).toEqual({ ok: true });
    expect(checkUploadRequest({ name: 'photo.png', size: 1, image: true }, options)).toEqual({ ok: true });
  });

  it('takes by default every type the client sends as an image, and a .jpeg as a .jpg (either way round)', () => {
    for (const ext of IMAGE_TYPES) expect(checkUploadRequest({ name: `pic${ext}`, size: 1, image: true }, options), ext).toEqual({ ok: true });
    expect(checkUploadRequest({ name: 'pic.JPEG', size: 1, image: true }, options)).toEqual({ ok: true });
    const jpegOnly = { ...options, uploadTypes: ['.jpeg'] };
    expect(checkUploadRequest({ name: 'pic.jpg', size: 1, image: true }, jpegOnly)).toEqual({ ok: true });
    expect(checkUploadRequest({ name: 'pic.gif', size: 1, image: true }, jpegOnly)).toMatchObject({ ok: false, code: 'refused' });
  });

  it.each([
    [{ name: 'big.pdf', size: DEFAULT_MAX_UPLOAD_BYTES + 1 }, 'too-large', '"big.pdf" is 3145729 bytes, over the 3145728-byte limit'],
    [{ name: 'huge.jpg', size: 50 * 1024 * 1024 }, 'too-large', '"huge.jpg" is 50.0 MiB, over the 3.0 MiB limit'],
    [{ name: 'tool.exe', size: 1 }, 'refused', '"tool.exe" is a .exe file; allowed types: .txt, .pdf, .jpg, .png, .gif, .webp or .bmp'],
    [{ name: '../x.txt', size: 1 }, 'bad-argument', '"../x.txt" is a path; give a file name only (no / or \\)'],
    [{ name: '.hidden.txt', size: 1 }, 'bad-argument', '".hidden.txt" is a hidden file name (starts with a dot)'],
    [{ name: 'notes.txt', size: 1, image: true }, 'refused', '"notes.txt" is not an image (.jpg, .jpeg, .png, .gif, .webp or .bmp)'],
    [{ name: 'n.txt', size: -1 }, 'bad-argument', 'bad file size -1'],
  ])('%j → %s', (request, code, message) => {
    expect(checkUploadRequest(request, options)).toEqual({ ok: false, code, message });
  });
});

describe('format', () => {
  it('sizes and percentages', () => {
    expect([formatSize(0), formatSize(1023), formatSize(1024), formatSize(3 * 1024 * 1024), formatSize(1.5 * 1024 ** 3)]).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '3.0 MiB',
      '1.5 GiB',
    ]);
    expect([percentDone(0, 0), percentDone(1, 3), percentDone(3, 3), percentDone(5, 3)]).toEqual([100, 33, 100, 100]);
  });
});
