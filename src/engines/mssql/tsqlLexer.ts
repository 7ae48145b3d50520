/**
 * A small T-SQL tokenizer shared by the expression translator (defaults, checks, computed
 * columns, index filters) and the offline DDL script parser.
 */

export type TokenKind = 'ident' | 'quoted' | 'string' | 'nstring' | 'number' | 'binary' | 'op' | 'punct' | 'variable';

export interface Token {
  kind: TokenKind;
  /** Identifier text (unquoted), string contents (unescaped), number/operator text. */
  value: string;
  /** Offset in the input, for error messages. */
  pos: number;
  /** Offset just past the token (to slice the original text). */
  end: number;
}

const twoCharOps = new Set(['<>', '!=', '<=', '>=', '!<', '!>', '+=', '-=', '*=', '/=', '::']);

export class TsqlSyntaxError extends Error {}

/** Tokenizes T-SQL text; comments and whitespace are skipped. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (/\s/.test(ch)) { i++; continue; }
    if (ch === '-' && text[i + 1] === '-') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (ch === '/' && text[i + 1] === '*') {
      // T-SQL block comments nest.
      let depth = 0;
      do {
        if (text.startsWith('/*', i)) { depth++; i += 2; } else if (text.startsWith('*/', i)) { depth--; i += 2; } else i++;
      } while (depth > 0 && i < n);
      continue;
    }
    const start = i;
    if (ch === '[') {
      let v = '';
      i++;
      for (;;) {
        if (i >= n) throw new TsqlSyntaxError(`unterminated [identifier] at offset ${start}`);
        if (text[i] === ']') {
          if (text[i + 1] === ']') { v += ']'; i += 2; continue; }
          i++;
          break;
        }
        v += text[i++];
      }
      tokens.push({ kind: 'quoted', value: v, pos: start, end: i });
      continue;
    }
    if (ch === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= n) throw new TsqlSyntaxError(`unterminated "identifier" at offset ${start}`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') { v += '"'; i += 2; continue; }
          i++;
          break;
        }
        v += text[i++];
      }
      tokens.push({ kind: 'quoted', value: v, pos: start, end: i });
      continue;
    }
    if (ch === "'" || ((ch === 'N' || ch === 'n') && text[i + 1] === "'")) {
      const national = ch !== "'";
      i += national ? 2 : 1;
      let v = '';
      for (;;) {
        if (i >= n) throw new TsqlSyntaxError(`unterminated string literal at offset ${start}`);
        if (text[i] === "'") {
          if (text[i + 1] === "'") { v += "'"; i += 2; continue; }
          i++;
          break;
        }
        v += text[i++];
      }
      tokens.push({ kind: national ? 'nstring' : 'string', value: v, pos: start, end: i });
      continue;
    }
    if (ch === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
      i += 2;
      while (i < n && /[0-9a-fA-F]/.test(text[i])) i++;
      tokens.push({ kind: 'binary', value: text.slice(start + 2, i).toLowerCase(), pos: start, end: i });
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      while (i < n && /[0-9]/.test(text[i])) i++;
      if (text[i] === '.') { i++; while (i < n && /[0-9]/.test(text[i])) i++; }
      if ((text[i] === 'e' || text[i] === 'E') && /[-+0-9]/.test(text[i + 1] ?? '')) {
        i += 2;
        while (i < n && /[0-9]/.test(text[i])) i++;
      }
      tokens.push({ kind: 'number', value: text.slice(start, i), pos: start, end: i });
      continue;
    }
    if (ch === '@') {
      i++;
      while (i < n && /[\w@$#]/.test(text[i])) i++;
      tokens.push({ kind: 'variable', value: text.slice(start, i), pos: start, end: i });
      continue;
    }
    if (/[A-Za-z_#\u0080-\uffff]/.test(ch)) {
      while (i < n && /[\w@$#\u0080-\uffff]/.test(text[i])) i++;
      tokens.push({ kind: 'ident', value: text.slice(start, i), pos: start, end: i });
      continue;
    }
    const two = text.slice(i, i + 2);
    if (twoCharOps.has(two)) {
      i += 2;
      tokens.push({ kind: 'op', value: two, pos: start, end: i });
      continue;
    }
    if ('(),.;'.includes(ch)) {
      i++;
      tokens.push({ kind: 'punct', value: ch, pos: start, end: i });
      continue;
    }
    if ('+-*/%=<>&|^~!'.includes(ch)) {
      i++;
      tokens.push({ kind: 'op', value: ch, pos: start, end: i });
      continue;
    }
    throw new TsqlSyntaxError(`unexpected character ${JSON.stringify(ch)} at offset ${start}`);
  }
  return tokens;
}

/** True when the token is the given keyword (case-insensitive, unquoted only). */
export function isKeyword(t: Token | undefined, word: string): boolean {
  return t !== undefined && t.kind === 'ident' && t.value.toUpperCase() === word;
}

export function isPunct(t: Token | undefined, p: string): boolean {
  return t !== undefined && t.kind === 'punct' && t.value === p;
}

/** Identifier token text (plain or quoted). */
export function isName(t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'ident' || t.kind === 'quoted');
}
