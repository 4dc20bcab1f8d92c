import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_FILE_NAME_BYTES } from '../../src/files/limits.ts';
import {
  checkPlainName,
  checkPortableName,
  checkUploadName,
  collisionName,
  extensionOf,
  isStalePartName,
  partName,
  sidecarName,
  sidecarTempName,
  DOWNLOAD_TAG,
} from '../../src/files/names.ts';

const TYPES = ['.txt', '.pdf', '.jpg', '.png'];

describe('checkPlainName', () => {
  it.each([
    ['', /empty/],
    ['.', /not a file name/],
    ['..', /not a file name/],
    ['../etc/passwd', /is a path/],
    ['/etc/passwd', /is a path/],
    ['a/b.txt', /is a path/],
    ['..\\windows\\win.ini', /is a path/],
    ['C:\\boot.ini', /is a path/],
    ['.bashrc', /hidden/],
    ['.notes.txt.part-3', /hidden/],
    ['nul\u0000byte', /control/],
    ['new\nline', /control/],
    ['\u009bcsi', /control/],
    ['bad\ud800surrogate', /Unicode/],
    ['x'.repeat(MAX_FILE_NAME_BYTES + 1), /too long/],
    ['é'.repeat(MAX_FILE_NAME_BYTES / 2 + 1), /too long/],
  ])('refuses %j', (name, message) => {
    const r = checkPlainName(name);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it.each(['notes.txt', 'my notes, v2.txt', 'émoji 😀.txt', 'Makefile', 'a..b', 'x'.repeat(MAX_FILE_NAME_BYTES), '-rf'])(
    'accepts %j',
    (name) => {
      expect(checkPlainName(name)).toEqual({ ok: true, name });
    },
  );

  it('never throws and accepts no name containing a separator or starting with a dot', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (name) => {
        const r = checkPlainName(name);
        if (r.ok) {
          expect(name.includes('/') || name.includes('\\') || name.startsWith('.') || name === '').toBe(false);
        }
      }),
    );
  });
});

describe('checkPortableName and checkUploadName', () => {
  it.each([
    [' notes.txt', /white space/],
    ['notes.txt ', /white space/],
    ['notes.', /ends with a dot/],
    ['what?.txt', /"\?"/],
    ['a:b.txt', /":"/],
    ['CON', /reserved device/],
    ['nul.txt', /reserved device/],
    ['com1.png', /reserved device/],
  ])('refuses %j', (name, message) => {
    const r = checkPortableName(name);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it('accepts allowed types case-insensitively and names the allowed list otherwise', () => {
    expect(checkUploadName('PHOTO.JPG', TYPES).ok).toBe(true);
    expect(checkUploadName('report.pdf', TYPES).ok).toBe(true);
    const exe = checkUploadName('setup.exe', TYPES);
    expect(exe).toEqual({ ok: false, message: '"setup.exe" is a .exe file; allowed types: .txt, .pdf, .jpg or .png' });
    const none = checkUploadName('Makefile', TYPES);
    expect(none.ok === false && none.message).toMatch(/has no extension/);
    expect(checkUploadName('consolation.txt', TYPES).ok).toBe(true); // "con" only as a whole stem
  });
});

describe('extensionOf', () => {
  it.each([
    ['notes.txt', '.txt'],
    ['ARCHIVE.TAR.GZ', '.gz'],
    ['Makefile', ''],
    ['.bashrc', ''],
    ['trailing.', ''],
  ])('%j → %j', (name, ext) => expect(extensionOf(name)).toBe(ext));
});

describe('collisionName', () => {
  it.each([
    ['notes.txt', 1, 'notes (1).txt'],
    ['notes.txt', 2, 'notes (2).txt'],
    ['Makefile', 1, 'Makefile (1)'],
    ['backup.tar.gz', 3, 'backup (3).tar.gz'],
    ['a.b.c', 1, 'a.b (1).c'],
    ['notes.txt', 0, 'notes.txt'],
  ])('%j #%d → %j', (name, n, expected) => expect(collisionName(name, n)).toBe(expected));

  it('gives distinct valid names for distinct numbers', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9 ._-]{0,20}$/),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 999 }),
        (name, a, b) => {
          fc.pre(a !== b && checkPlainName(name).ok);
          expect(collisionName(name, a)).not.toBe(collisionName(name, b));
          expect(checkPlainName(collisionName(name, a)).ok).toBe(true);
        },
      ),
    );
  });
});

describe('temporary names', () => {
  it('are hidden, tagged, and only numeric tags are stale', () => {
    expect(partName('notes.txt', '17')).toBe('.notes.txt.part-17');
    expect(sidecarName(partName('notes.txt', DOWNLOAD_TAG))).toBe('.notes.txt.part-download.json');
    expect(checkPlainName(partName('notes.txt', '17')).ok).toBe(false);
    expect(isStalePartName('.notes.txt.part-17')).toBe(true);
    expect(isStalePartName(sidecarTempName('.notes.txt.part-17'))).toBe(true);
    expect(isStalePartName('.notes.txt.part-download')).toBe(false);
    expect(isStalePartName('notes.txt.part-17')).toBe(false);
    expect(isStalePartName('.bashrc')).toBe(false);
  });

  it('fit in 255 bytes for the longest allowed name', () => {
    const longest = sidecarTempName(partName('é'.repeat(MAX_FILE_NAME_BYTES / 2), '4294967295'));
    expect(Buffer.byteLength(longest)).toBeLessThanOrEqual(255);
  });

  it('refuses bidi controls and zero-width characters in file names, showing them in the message', () => {
    const spoof = checkUploadName('x\u202Egnp.txt', ['.txt', '.png']);
    expect(spoof).toEqual({ ok: false, message: '"x<U+202E>gnp.txt" contains the bidi control U+202E (invisible: it changes how the text around it is shown)' });
    for (const ch of ['\u202a', '\u2066', '\u200e', '\u061c', '\u200b', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u3164', '\u115f', '\u{e0041}']) {
      expect(checkPlainName(`notes${ch}.txt`).ok, ch).toBe(false);
    }
    expect(checkUploadName('a\u00adb.txt', ['.txt'])).toEqual({ ok: false, message: '"a<U+00AD>b.txt" contains the invisible character U+00AD (invisible: it changes how the text around it is shown)' });
  });
});
