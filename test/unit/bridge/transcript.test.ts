// A transcript keeps TRANSCRIPT_KEEP_LINES lines for transcript.txt and only hashes past them, so a
// run of millions of frames stays in bounded memory while its sha256 still covers every line.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TRANSCRIPT_KEEP_LINES, Transcript } from '../../../src/device/transcript.js';
import { defaultParams } from '../../../src/abi/link.js';

describe('transcript', () => {
  it('keeps the first TRANSCRIPT_KEEP_LINES lines, says how many more it hashed, and the sha256 covers all', () => {
    const t = new Transcript(defaultParams({ seed: 3 }));
    const all: string[] = [t.text().trimEnd()];
    const n = TRANSCRIPT_KEEP_LINES + 10;
    for (let i = 1; i < n; i++) {
      t.note(`line ${i}`);
      all.push(`# line ${i}`);
    }
    const text = t.text().split('\n');
    expect(text.length - 1).toBe(TRANSCRIPT_KEEP_LINES + 1);
    expect(text.at(-2)).toBe('# 10 more lines, not kept (sha256 covers them)');
    expect(text[TRANSCRIPT_KEEP_LINES - 1]).toBe(all[TRANSCRIPT_KEEP_LINES - 1]);
    expect(t.sha256()).toBe(createHash('sha256').update(all.join('\n') + '\n').digest('hex'));
  });
});
