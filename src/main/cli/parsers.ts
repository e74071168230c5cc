import { InvalidArgumentError } from 'commander';
import { parseKafkaBrokers } from '../transport';

// Flag value parsers: each refuses a bad value with a message commander prints on one line.

export function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('must be a port number from 0 to 65535.');
  return Number(value);
}

export function parseInteger(value: string): number {
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('must be a whole number.');
  return Number(value);
}

export function positiveNumber(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`must be a number above 0 and at most ${max}.`);
    return n;
  };
}

export function parseSymbols(value: string): string[] {
  const symbols = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = symbols.find((s) => !/^[A-Za-z][A-Za-z0-9.]{0,11}$/.test(s));
  if (symbols.length === 0 || bad !== undefined) {
    throw new InvalidArgumentError(`must be a comma-separated list of symbols${bad === undefined ? '' : ` ('${bad}' is not one)`}.`);
  }
  return symbols;
}

export function parseLiveAccount(value: string): string {
  if (!/^U\d{4,}$/.test(value)) throw new InvalidArgumentError('must be a live-looking IB account id such as U1234567.');
  return value;
}

/** `--accounts DU1,DU2`: several paper accounts under one login. */
export function parsePaperAccounts(value: string): string[] {
  const ids = value.split(',').map((a) => a.trim());
  if (ids.some((a) => !/^D[UFI]\d{4,}$/.test(a))) throw new InvalidArgumentError('must be paper account ids (DU…) separated by commas, such as DU1234567,DU7654321.');
  if (new Set(ids).size !== ids.length) throw new InvalidArgumentError('names an account twice.');
  return ids;
}

/** `--kafka host:port,host:port`: the seed brokers. */
export function parseBrokers(value: string): string[] {
  try {
    return parseKafkaBrokers(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}
