/**
 * Reads the pipe tables back out of markdown (a report, the README, the docs), as GitHub-flavoured
 * markdown does: a header row, a `| --- |` (or `|---|`) delimiter row with as many cells, then body
 * rows; `\|` is a pipe inside a cell.
 */
export interface MarkdownTable {
  readonly head: string[];
  readonly rows: string[][];
}

export function cellsOf(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\' && i + 1 < line.length) {
      cell += line[i]! + line[i + 1]!;
      i++;
    } else if (line[i] === '|') {
      cells.push(cell.trim());
      cell = '';
    } else cell += line[i];
  }
  cells.push(cell.trim());
  // The leading and trailing pipes open and close the row.
  return cells.slice(1, -1);
}

export function markdownTables(markdown: string): MarkdownTable[] {
  const lines = markdown.split('\n');
  const tables: MarkdownTable[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!/^\|( ?:?-{3,}:? ?\|)+$/.test(lines[i + 1]!)) continue;
    const head = cellsOf(lines[i]!);
    if (cellsOf(lines[i + 1]!).length !== head.length) throw new Error(`delimiter row of "${lines[i]}" has another number of cells`);
    const rows: string[][] = [];
    for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(cellsOf(lines[i]!));
    tables.push({ head, rows });
  }
  return tables;
}

/** A cell as a CommonMark renderer shows its text: backslash escapes and character references undone. */
export function renderedText(cell: string): string {
  return cell
    .replace(/\\([!-/:-@[-`{-~])/g, '$1')
    .replace(/&(amp|lt|gt|#\d+);/g, (_, ref: string) => (ref === 'amp' ? '&' : ref === 'lt' ? '<' : ref === 'gt' ? '>' : String.fromCharCode(Number(ref.slice(1)))));
}

/**
 * What in a cell could make markup rather than text: raw `<` or `>` (HTML, autolinks), an unescaped
 * character of emphasis, code, links, images or tables, a line break, or the start of a bare link.
 */
export function markupIn(cell: string): string[] {
  const outsideEscapes = cell.replace(/\\[!-/:-@[-`{-~]/g, '');
  return [...(outsideEscapes.match(/[<>`*_[\]()!~|\r\n]|:\/\/|www\.|@/gi) ?? [])];
}
