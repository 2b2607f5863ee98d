// Progress of a bulk run: a bar redrawn in place on a terminal, plain lines in logs and pipes.

export interface ProgressCounts {
  done: number;
  ok: number;
  failed: number;
  sent?: number | undefined;
}

export interface Progress {
  update(counts: ProgressCounts): void;
  end(counts: ProgressCounts): void;
}

function summary(counts: ProgressCounts, total: number | undefined): string {
  const of = total ? `/${total}` : '';
  const sent = counts.sent !== undefined ? `, ${counts.sent} sent` : '';
  return `${counts.done}${of} rows, ${counts.ok} ok, ${counts.failed} failed${sent}`;
}

export function createProgress(write: (text: string) => void, isTTY: boolean, total: number | undefined, now: () => number = Date.now): Progress {
  let lastDraw = 0;
  let lastPercent = 0;
  if (isTTY) {
    return {
      update(counts) {
        const time = now();
        if (time - lastDraw < 100) return;
        lastDraw = time;
        const fraction = total ? Math.min(1, counts.done / total) : 0;
        const width = 30;
        const filled = Math.round(fraction * width);
        const bar = total ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ` : '';
        write(`\r${bar}${summary(counts, total)}\x1b[K`);
      },
      end(counts) {
        write(`\r${total ? `[${'#'.repeat(30)}] 100% ` : ''}${summary(counts, total)}\x1b[K\n`);
      },
    };
  }
  return {
    // One line per tenth of the list (or every 5 seconds when the size is unknown).
    update(counts) {
      if (total !== undefined && total < 100) return;
      if (total) {
        const percent = Math.floor((counts.done / total) * 10) * 10;
        if (percent <= lastPercent || percent >= 100) return;
        lastPercent = percent;
      } else {
        const time = now();
        if (time - lastDraw < 5000) return;
        lastDraw = time;
      }
      write(`progress: ${summary(counts, total)}\n`);
    },
    end(counts) {
      write(`done: ${summary(counts, total)}\n`);
    },
  };
}
