import { describe, expect, it } from 'vitest';
import { chooseColors, useColor } from '../../src/client/colors.ts';

describe('useColor', () => {
  it('colours terminals, not pipes, and obeys NO_COLOR and FORCE_COLOR', () => {
    expect(useColor(true, {})).toBe(true);
    expect(useColor(false, {})).toBe(false);
    expect(useColor(false, { CI: 'true' })).toBe(false);
    expect(useColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(true, { NO_COLOR: '' })).toBe(true);
    expect(useColor(false, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColor(false, { FORCE_COLOR: '0' })).toBe(false);
    expect(useColor(true, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
    expect(useColor(true, { TERM: 'dumb' })).toBe(false);
  });

  it('gives colour functions that add escapes only when on', () => {
    expect(chooseColors(false, {}).red('x')).toBe('x');
    expect(chooseColors(true, {}).red('x')).not.toBe('x');
  });
});
