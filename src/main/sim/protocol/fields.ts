import { UNSET_DOUBLE } from './constants';

/** A client request that cannot be understood; answered with error 321, never a crash. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
}

/** Reads a client message's fields in order, with the meaning the client's encoder gave them. */
export class FieldReader {
  private pos = 0;

  constructor(private readonly fields: readonly string[]) {}

  get remaining(): number {
    return this.fields.length - this.pos;
  }

  str(name: string): string {
    if (this.pos >= this.fields.length) throw new RequestError(`missing field ${name}`);
    return this.fields[this.pos++] as string;
  }

  /** An integer; an empty field is 0 (how the client sends an unset number). */
  int(name: string): number {
    const v = this.optInt(name);
    return v ?? 0;
  }

  /** An integer, or undefined when the field is empty or Integer.MAX_VALUE. */
  optInt(name: string): number | undefined {
    const s = this.str(name).trim();
    if (s === '') return undefined;
    if (!/^[-+]?\d+$/.test(s)) throw new RequestError(`${name} must be an integer, got '${s}'`);
    const n = Number(s);
    return n === 2147483647 ? undefined : n;
  }

  /** A number (double or decimal), or undefined when empty or Double.MAX_VALUE. */
  num(name: string): number | undefined {
    const s = this.str(name).trim();
    if (s === '') return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) && s.toLowerCase() !== 'infinity') throw new RequestError(`${name} must be a number, got '${s}'`);
    return n >= Number.MAX_VALUE || !Number.isFinite(n) ? undefined : n;
  }

  /** A flag: '1'/'0', 'true'/'false'; empty is false. */
  bool(name: string): boolean {
    const s = this.str(name).trim().toLowerCase();
    if (s === '' || s === '0' || s === 'false') return false;
    if (s === '1' || s === 'true') return true;
    throw new RequestError(`${name} must be 0 or 1, got '${s}'`);
  }

  skip(count: number, name: string): void {
    for (let i = 0; i < count; i++) this.str(name);
  }
}

/** Builds a server message's fields, formatting values the way TWS does. */
export class FieldWriter {
  readonly fields: string[] = [];

  str(value: string | undefined): this {
    this.fields.push(value ?? '');
    return this;
  }

  int(value: number | undefined): this {
    this.fields.push(value === undefined ? '' : String(Math.trunc(value)));
    return this;
  }

  /** A double that the decoder reads with readDouble: unset is Double.MAX_VALUE. */
  dbl(value: number | undefined): this {
    this.fields.push(value === undefined ? UNSET_DOUBLE : formatNumber(value));
    return this;
  }

  /** A double that the decoder reads with readDoubleOrUndefined / readDecimal: unset is empty. */
  optDbl(value: number | undefined): this {
    this.fields.push(value === undefined ? '' : formatNumber(value));
    return this;
  }

  bool(value: boolean | undefined): this {
    this.fields.push(value ? '1' : '0');
    return this;
  }
}

/** Shortest decimal text of a price or size (no binary noise like 230.14999999999998). */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(Number.parseFloat(n.toPrecision(15)));
}

/**
 * TWS escapes non-ASCII characters in error texts as \uXXXX from server version 153
 * (ENCODE_MSG_ASCII7); the client unescapes them.
 */
export function escapeNonAscii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
