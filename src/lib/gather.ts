/**
 * Text gathered into larger writes: a write per result line of a large run costs more CPU than reading the
 * message. Pieces are handed to `write` together once `maxChars` have gathered, `waitMs` after the first one
 * waiting (so output read while a run goes on stays current), or on `flush()`. Used by the CLI's standard output
 * and by results files.
 */
export class TextGatherer {
  private readonly parts: string[] = [];
  private chars = 0;
  private timer: NodeJS.Timeout | undefined;
  /** A write that failed: every later add or flush reports it (a gap in the output would go unseen). */
  private failed: unknown;

  constructor(
    private readonly write: (text: string) => void,
    private readonly maxChars: number,
    private readonly waitMs: number,
  ) {}

  /** Characters waiting to be written. */
  get waiting(): number {
    return this.chars;
  }

  add(text: string): void {
    if (this.failed !== undefined) throw this.failed;
    this.parts.push(text);
    this.chars += text.length;
    if (this.chars >= this.maxChars) this.flush();
    else
      this.timer ??= setTimeout(() => {
        try {
          this.flush();
        } catch {
          // kept in `failed`: the next add or flush reports it
        }
      }, this.waitMs).unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.failed !== undefined) throw this.failed;
    if (this.parts.length === 0) return;
    const text = this.parts.length === 1 ? this.parts[0] : this.parts.join("");
    this.parts.length = 0;
    this.chars = 0;
    try {
      this.write(text);
    } catch (e) {
      this.failed = e;
      throw e;
    }
  }
}
