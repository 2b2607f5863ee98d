// Progress: a bar redrawn in place on a terminal, a line per tenth otherwise.
import { describe, expect, it } from '@jest/globals';
import { createProgress } from '../../src/bulk/progress.js';

describe('progress', () => {
  it('redraws one bar on a terminal', () => {
    let out = '';
    let clock = 0;
    const progress = createProgress(
      (text) => (out += text),
      true,
      200,
      () => (clock += 200),
    );
    progress.update({ done: 100, ok: 99, failed: 1 });
    progress.end({ done: 200, ok: 198, failed: 2, sent: 198 });
    expect(out).toContain('\r[###############---------------]  50% 100/200 rows, 99 ok, 1 failed');
    expect(out.endsWith('100% 200/200 rows, 198 ok, 2 failed, 198 sent\x1b[K\n')).toBe(true);
  });

  it('prints plain lines, one per tenth, in logs', () => {
    const lines: string[] = [];
    const progress = createProgress((text) => lines.push(text), false, 1000);
    for (let done = 1; done <= 1000; done++) progress.update({ done, ok: done, failed: 0 });
    progress.end({ done: 1000, ok: 1000, failed: 0 });
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('progress: 100/1000 rows, 100 ok, 0 failed\n');
    expect(lines[9]).toBe('done: 1000/1000 rows, 1000 ok, 0 failed\n');
    expect(lines.join('')).not.toContain('\r');
  });
});
