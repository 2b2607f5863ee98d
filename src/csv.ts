// CSV (RFC 4180) cells and lines for the reports people open in a spreadsheet: the bulk manifest
// and the send report.

/**
 * A CSV cell: quoted when needed, and a leading = + - @ defused with an apostrophe, because
 * spreadsheet programs run such cells as formulas (CSV injection).
 */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly (string | number)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
