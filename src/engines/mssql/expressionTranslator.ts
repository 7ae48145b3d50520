import { tokenize, isKeyword, isPunct, isName, type Token } from './tsqlLexer';
import { mapMsType, parseMsType, type TypeMapping } from './typeMapping';
import { pgIdent, pgLiteral } from './identifiers';

/**
 * Translates T-SQL scalar expressions as SQL Server stores them in its catalog (defaults,
 * check constraints, computed columns, filtered-index predicates) into PostgreSQL.
 * Whatever has no faithful translation throws UntranslatableError with the reason; callers
 * report it and drop (or, for computed columns, materialize) the object.
 */

export class UntranslatableError extends Error {}

export type ExprPurpose = 'default' | 'check' | 'computed' | 'filter';

export interface ExprColumn {
  targetName: string;
  mapping: Pick<TypeMapping, 'kind' | 'targetType'>;
  /** Generated in the target (PostgreSQL forbids generated columns referencing each other). */
  generated?: boolean;
}

export interface ExprContext {
  purpose: ExprPurpose;
  /** Columns of the table by lower-cased source name. */
  columns: Map<string, ExprColumn>;
  /** The column a default/computed expression belongs to. */
  target?: Pick<TypeMapping, 'kind' | 'targetType'>;
}

export interface Translation {
  sql: string;
  /** Semantics that differ slightly (reported as info). */
  notes: string[];
}

type Node =
  | { t: 'num'; v: string }
  | { t: 'str'; v: string }
  | { t: 'bin'; v: string }
  | { t: 'null' }
  | { t: 'col'; name: string }
  | { t: 'fn'; name: string; args: Node[] }
  | { t: 'niladic'; name: string }
  | { t: 'cast'; e: Node; type: string; style?: Node }
  | { t: 'un'; op: string; e: Node }
  | { t: 'op'; op: string; l: Node; r: Node }
  | { t: 'isnull'; e: Node; not: boolean }
  | { t: 'in'; e: Node; list: Node[]; not: boolean }
  | { t: 'between'; e: Node; lo: Node; hi: Node; not: boolean }
  | { t: 'like'; e: Node; pat: Node; not: boolean; escape?: Node }
  | { t: 'case'; operand?: Node; whens: [Node, Node][]; else?: Node }
  | { t: 'nextval'; name: string[] }
  | { t: 'paren'; e: Node };

// ---------------------------------------------------------------- parser

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[], private readonly text: string) {}

  parse(): Node {
    const e = this.expr();
    if (this.i < this.toks.length) this.fail(`unexpected ${this.toks[this.i].value}`);
    return e;
  }

  private fail(msg: string): never {
    throw new UntranslatableError(`cannot parse expression ${this.text}: ${msg}`);
  }
  private peek(o = 0): Token | undefined { return this.toks[this.i + o]; }
  private next(): Token {
    const t = this.toks[this.i++];
    if (!t) this.fail('unexpected end');
    return t;
  }
  private kw(word: string): boolean {
    if (isKeyword(this.peek(), word)) { this.i++; return true; }
    return false;
  }
  private punct(p: string): void {
    if (!isPunct(this.peek(), p)) this.fail(`expected ${p}`);
    this.i++;
  }

  expr(): Node { return this.or(); }

  private or(): Node {
    let l = this.and();
    while (this.kw('OR')) l = { t: 'op', op: 'OR', l, r: this.and() };
    return l;
  }
  private and(): Node {
    let l = this.not();
    while (this.kw('AND')) l = { t: 'op', op: 'AND', l, r: this.not() };
    return l;
  }
  private not(): Node {
    if (this.kw('NOT')) return { t: 'un', op: 'NOT', e: this.not() };
    return this.predicate();
  }
  private predicate(): Node {
    const l = this.additive();
    const t = this.peek();
    if (t?.kind === 'op' && ['=', '<>', '!=', '<', '>', '<=', '>=', '!<', '!>'].includes(t.value)) {
      this.i++;
      return { t: 'op', op: t.value, l, r: this.additive() };
    }
    if (this.kw('IS')) {
      const not = this.kw('NOT');
      if (!this.kw('NULL')) this.fail('expected NULL after IS');
      return { t: 'isnull', e: l, not };
    }
    const not = this.kw('NOT');
    if (this.kw('IN')) {
      this.punct('(');
      const list = [this.expr()];
      while (isPunct(this.peek(), ',')) { this.i++; list.push(this.expr()); }
      this.punct(')');
      return { t: 'in', e: l, list, not };
    }
    if (this.kw('BETWEEN')) {
      const lo = this.additive();
      if (!this.kw('AND')) this.fail('expected AND in BETWEEN');
      return { t: 'between', e: l, lo, hi: this.additive(), not };
    }
    if (this.kw('LIKE')) {
      const pat = this.additive();
      const escape = this.kw('ESCAPE') ? this.additive() : undefined;
      return { t: 'like', e: l, pat, not, escape };
    }
    if (not) this.fail('unexpected NOT');
    return l;
  }
  private additive(): Node {
    let l = this.multiplicative();
    for (;;) {
      const t = this.peek();
      if (t?.kind === 'op' && ['+', '-', '&', '|', '^'].includes(t.value)) {
        this.i++;
        l = { t: 'op', op: t.value, l, r: this.multiplicative() };
      } else return l;
    }
  }
  private multiplicative(): Node {
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      if (t?.kind === 'op' && ['*', '/', '%'].includes(t.value)) {
        this.i++;
        l = { t: 'op', op: t.value, l, r: this.unary() };
      } else return l;
    }
  }
  private unary(): Node {
    const t = this.peek();
    if (t?.kind === 'op' && (t.value === '-' || t.value === '+' || t.value === '~')) {
      this.i++;
      const e = this.unary();
      if (t.value === '+') return e;
      if (t.value === '-' && e.t === 'num') return { t: 'num', v: e.v.startsWith('-') ? e.v.slice(1) : '-' + e.v };
      return { t: 'un', op: t.value, e };
    }
    return this.primary();
  }
  private typeName(): string {
    // [schema.]type[(a[,b])]
    let name = this.next().value;
    if (isPunct(this.peek(), '.')) { this.i++; name = this.next().value; }
    if (isPunct(this.peek(), '(')) {
      this.i++;
      const a = this.next().value;
      let b = '';
      if (isPunct(this.peek(), ',')) { this.i++; b = ',' + this.next().value; }
      this.punct(')');
      return `${name}(${a}${b})`;
    }
    return name;
  }
  private primary(): Node {
    const t = this.next();
    if (t.kind === 'number') return { t: 'num', v: t.value };
    if (t.kind === 'string' || t.kind === 'nstring') return { t: 'str', v: t.value };
    if (t.kind === 'binary') return { t: 'bin', v: t.value };
    if (t.kind === 'variable') return { t: 'niladic', name: t.value.toLowerCase() };
    if (t.kind === 'punct' && t.value === '(') {
      const e = this.expr();
      this.punct(')');
      return { t: 'paren', e };
    }
    if (t.kind === 'quoted') {
      if (isPunct(this.peek(), '(')) return this.call(t.value);
      return this.qualifiedColumn(t.value);
    }
    if (t.kind !== 'ident') this.fail(`unexpected ${t.value}`);
    const word = t.value.toUpperCase();
    if (word === 'NULL') return { t: 'null' };
    if (word === 'CASE') return this.caseExpr();
    if (word === 'CAST' && isPunct(this.peek(), '(')) {
      this.i++;
      const e = this.expr();
      if (!this.kw('AS')) this.fail('expected AS in CAST');
      const type = this.typeName();
      this.punct(')');
      return { t: 'cast', e, type };
    }
    if ((word === 'CONVERT' || word === 'TRY_CONVERT') && isPunct(this.peek(), '(')) {
      this.i++;
      const type = this.typeName();
      this.punct(',');
      const e = this.expr();
      let style: Node | undefined;
      if (isPunct(this.peek(), ',')) { this.i++; style = this.expr(); }
      this.punct(')');
      return { t: 'cast', e, type, style };
    }
    if (word === 'NEXT' && isKeyword(this.peek(), 'VALUE')) {
      this.i++;
      if (!this.kw('FOR')) this.fail('expected FOR');
      const name = [this.next().value];
      while (isPunct(this.peek(), '.')) { this.i++; name.push(this.next().value); }
      return { t: 'nextval', name };
    }
    if (['CURRENT_TIMESTAMP', 'CURRENT_USER', 'SESSION_USER', 'SYSTEM_USER', 'USER', 'CURRENT_DATE'].includes(word) && !isPunct(this.peek(), '(')) {
      return { t: 'niladic', name: word.toLowerCase() };
    }
    if (isPunct(this.peek(), '(')) return this.call(t.value);
    return this.qualifiedColumn(t.value);
  }
  private qualifiedColumn(first: string): Node {
    const parts = [first];
    while (isPunct(this.peek(), '.') && isName(this.peek(1))) { this.i++; parts.push(this.next().value); }
    // schema.function(...) or column.method(...): user-defined code, reported by the printer
    if (parts.length > 1 && isPunct(this.peek(), '(')) return this.call(parts.join('.'));
    return { t: 'col', name: parts[parts.length - 1] };
  }
  private call(name: string): Node {
    this.punct('(');
    const args: Node[] = [];
    if (!isPunct(this.peek(), ')')) {
      // DATEADD/DATEDIFF/DATEPART take a bare date part first.
      args.push(this.expr());
      while (isPunct(this.peek(), ',')) { this.i++; args.push(this.expr()); }
    }
    this.punct(')');
    return { t: 'fn', name: name.toLowerCase(), args };
  }
  private caseExpr(): Node {
    let operand: Node | undefined;
    if (!isKeyword(this.peek(), 'WHEN')) operand = this.expr();
    const whens: [Node, Node][] = [];
    while (this.kw('WHEN')) {
      const c = this.expr();
      if (!this.kw('THEN')) this.fail('expected THEN');
      whens.push([c, this.expr()]);
    }
    const els = this.kw('ELSE') ? this.expr() : undefined;
    if (!this.kw('END')) this.fail('expected END');
    return { t: 'case', operand, whens, else: els };
  }
}

export function parseTsqlExpression(text: string): Node {
  let toks: Token[];
  try {
    toks = tokenize(text);
  } catch (err) {
    throw new UntranslatableError(`cannot parse expression ${text}: ${(err as Error).message}`);
  }
  if (toks.length === 0) throw new UntranslatableError('empty expression');
  return new Parser(toks, text).parse();
}

// ---------------------------------------------------------------- printer

type Ty = 'string' | 'number' | 'bool' | 'datetime' | 'binary' | 'uuid' | 'unknown';

function kindTy(kind: TypeMapping['kind']): Ty {
  switch (kind) {
    case 'bool': return 'bool';
    case 'int': case 'bigint': case 'numeric': case 'money': case 'float8': case 'float4': return 'number';
    case 'date': case 'time': case 'timestamp': case 'smalldatetime': case 'timestamptz': return 'datetime';
    case 'char': case 'text': case 'xml': case 'variant': case 'hierarchyid': case 'spatial': return 'string';
    case 'bytea': case 'clr': return 'binary';
    case 'uuid': return 'uuid';
  }
}

const stringFns = new Set(['upper', 'lower', 'ltrim', 'rtrim', 'trim', 'substring', 'left', 'right', 'replace', 'reverse', 'concat', 'replicate', 'space', 'stuff', 'format', 'char', 'nchar', 'isnull', 'coalesce']);
const numberFns = new Set(['len', 'datalength', 'abs', 'floor', 'ceiling', 'round', 'sign', 'sqrt', 'power', 'exp', 'charindex', 'year', 'month', 'day', 'datepart', 'datediff', 'ascii', 'unicode']);
const datetimeFns = new Set(['getdate', 'getutcdate', 'sysdatetime', 'sysutcdatetime', 'sysdatetimeoffset', 'dateadd', 'eomonth', 'datefromparts']);

const dateParts: Record<string, string> = {
  year: 'year', yy: 'year', yyyy: 'year', quarter: 'quarter', qq: 'quarter', q: 'quarter', month: 'month', mm: 'month', m: 'month',
  dayofyear: 'doy', dy: 'doy', y: 'doy', day: 'day', dd: 'day', d: 'day', week: 'week', wk: 'week', ww: 'week',
  weekday: 'dow', dw: 'dow', hour: 'hour', hh: 'hour', minute: 'minute', mi: 'minute', n: 'minute',
  second: 'second', ss: 'second', s: 'second', millisecond: 'milliseconds', ms: 'milliseconds', microsecond: 'microseconds', mcs: 'microseconds',
};

class Printer {
  readonly notes: string[] = [];
  constructor(private readonly ctx: ExprContext) {}

  private volatile(what: string): void {
    if (this.ctx.purpose === 'computed' || this.ctx.purpose === 'filter' || this.ctx.purpose === 'check') {
      throw new UntranslatableError(`${what} is not immutable in PostgreSQL, so it cannot be used in a ${this.ctx.purpose === 'computed' ? 'generated column' : this.ctx.purpose === 'filter' ? 'partial index predicate' : 'check constraint'}`);
    }
  }

  ty(n: Node): Ty {
    switch (n.t) {
      case 'num': return 'number';
      case 'str': return 'string';
      case 'bin': return 'binary';
      case 'null': return 'unknown';
      case 'paren': return this.ty(n.e);
      case 'col': {
        const c = this.ctx.columns.get(n.name.toLowerCase());
        return c ? kindTy(c.mapping.kind) : 'unknown';
      }
      case 'cast': {
        try { return kindTy(mapMsType(parseMsType(n.type)).kind); } catch { return 'unknown'; }
      }
      case 'fn':
        if (n.name === 'isnull' || n.name === 'coalesce' || n.name === 'nullif') return this.ty(n.args[0]);
        if (n.name === 'iif') return this.ty(n.args[1]);
        if (stringFns.has(n.name)) return 'string';
        if (numberFns.has(n.name)) return 'number';
        if (datetimeFns.has(n.name)) return 'datetime';
        if (n.name === 'newid' || n.name === 'newsequentialid') return 'uuid';
        return 'unknown';
      case 'niladic': return n.name === 'current_timestamp' || n.name === 'current_date' ? 'datetime' : 'string';
      case 'un': return n.op === 'NOT' ? 'bool' : this.ty(n.e);
      case 'op': {
        if (['AND', 'OR', '=', '<>', '!=', '<', '>', '<=', '>=', '!<', '!>'].includes(n.op)) return 'bool';
        const l = this.ty(n.l);
        const r = this.ty(n.r);
        if (n.op === '+' && (l === 'string' || r === 'string')) return 'string';
        if (l === 'datetime' || r === 'datetime') return 'datetime';
        return l === 'unknown' ? r : l;
      }
      case 'case': return this.ty(n.whens[0][1]);
      case 'nextval': return 'number';
      default: return 'bool';
    }
  }

  /** Prints a node; `want` = the type the surrounding context expects (turns 0/1 into booleans). */
  print(n: Node, want?: Ty): string {
    switch (n.t) {
      case 'paren': return this.print(n.e, want);
      case 'num':
        if (want === 'bool') {
          if (/^0*1(\.0*)?$/.test(n.v)) return 'true';
          if (/^-?0+(\.0*)?$/.test(n.v)) return 'false';
        }
        return n.v.startsWith('-') ? `(${n.v})` : n.v;
      case 'str':
        if (want === 'bool' && /^(1|0|true|false)$/i.test(n.v)) return /^(1|true)$/i.test(n.v) ? 'true' : 'false';
        return pgLiteral(n.v);
      case 'bin': return `'\\x${n.v}'::bytea`;
      case 'null': return 'NULL';
      case 'col': {
        const c = this.ctx.columns.get(n.name.toLowerCase());
        if (!c) throw new UntranslatableError(`unknown column ${n.name}`);
        if (this.ctx.purpose === 'computed' && c.generated) {
          throw new UntranslatableError(`references computed column ${n.name} (PostgreSQL generated columns cannot reference each other)`);
        }
        if (this.ctx.purpose === 'default') throw new UntranslatableError(`a default cannot reference column ${n.name}`);
        const id = pgIdent(c.targetName);
        return want === 'number' && c.mapping.kind === 'bool' ? `CAST(${id} AS integer)` : id;
      }
      case 'niladic': return this.niladic(n.name);
      case 'nextval':
        throw new UntranslatableError(`NEXT VALUE FOR ${n.name.join('.')}: sequences are not migrated`);
      case 'un':
        if (n.op === 'NOT') return `(NOT ${this.print(n.e, 'bool')})`;
        return `(${n.op}${this.print(n.e, 'number')})`;
      case 'op': return this.op(n);
      case 'isnull': return `(${this.print(n.e)} IS ${n.not ? 'NOT ' : ''}NULL)`;
      case 'in': {
        const w = this.ty(n.e);
        return `(${this.print(n.e)} ${n.not ? 'NOT ' : ''}IN (${n.list.map((x) => this.print(x, w)).join(', ')}))`;
      }
      case 'between': {
        const w = this.ty(n.e);
        return `(${this.print(n.e)} ${n.not ? 'NOT ' : ''}BETWEEN ${this.print(n.lo, w)} AND ${this.print(n.hi, w)})`;
      }
      case 'like': return this.like(n);
      case 'case': {
        const rt = n.whens.map(([, r]) => this.ty(r)).find((t) => t !== 'unknown') ?? want;
        const parts = ['CASE'];
        if (n.operand) parts.push(this.print(n.operand));
        const ot = n.operand ? this.ty(n.operand) : 'bool';
        for (const [c, r] of n.whens) parts.push(`WHEN ${this.print(c, ot)} THEN ${this.print(r, rt)}`);
        if (n.else) parts.push(`ELSE ${this.print(n.else, rt)}`);
        parts.push('END');
        return `(${parts.join(' ')})`;
      }
      case 'cast': return this.cast(n);
      case 'fn': return this.fn(n);
    }
  }

  private niladic(name: string): string {
    switch (name) {
      case 'current_timestamp':
        this.volatile('CURRENT_TIMESTAMP');
        this.notes.push('CURRENT_TIMESTAMP (server local time) became LOCALTIMESTAMP (session time zone, UTC under tmig)');
        return 'LOCALTIMESTAMP';
      case 'current_date': this.volatile('CURRENT_DATE'); return 'CURRENT_DATE';
      case 'current_user': case 'session_user': case 'system_user': case 'user':
        this.volatile(name.toUpperCase());
        return 'CURRENT_USER';
      case '@@spid': this.volatile('@@SPID'); return 'pg_backend_pid()';
      default: throw new UntranslatableError(`${name} has no PostgreSQL equivalent`);
    }
  }

  private op(n: Extract<Node, { t: 'op' }>): string {
    if (n.op === 'AND' || n.op === 'OR') return `(${this.print(n.l, 'bool')} ${n.op} ${this.print(n.r, 'bool')})`;
    const cmp: Record<string, string> = { '=': '=', '<>': '<>', '!=': '<>', '<': '<', '>': '>', '<=': '<=', '>=': '>=', '!<': '>=', '!>': '<=' };
    const lt = this.ty(n.l);
    const rt = this.ty(n.r);
    if (cmp[n.op]) {
      // A bit column compared with 0/1 compares booleans in PostgreSQL.
      return `(${this.print(n.l, rt === 'bool' ? 'bool' : undefined)} ${cmp[n.op]} ${this.print(n.r, lt === 'bool' ? 'bool' : undefined)})`;
    }
    if (n.op === '+' && (lt === 'string' || rt === 'string')) {
      return `(${this.print(n.l, 'string')} || ${this.print(n.r, 'string')})`;
    }
    if ((lt === 'datetime' || rt === 'datetime') && (n.op === '+' || n.op === '-')) {
      throw new UntranslatableError('date arithmetic with + / - on datetime values');
    }
    const ops: Record<string, string> = { '+': '+', '-': '-', '*': '*', '/': '/', '%': '%', '&': '&', '|': '|', '^': '#' };
    return `(${this.print(n.l, 'number')} ${ops[n.op]} ${this.print(n.r, 'number')})`;
  }

  private like(n: Extract<Node, { t: 'like' }>): string {
    const pat = n.pat.t === 'paren' ? n.pat.e : n.pat;
    if (n.escape) throw new UntranslatableError('LIKE ... ESCAPE');
    if (pat.t === 'str' && pat.v.includes('[')) {
      return `(${this.print(n.e)} ${n.not ? '!~' : '~'} ${pgLiteral(likeToRegex(pat.v))})`;
    }
    // SQL Server LIKE treats backslash as an ordinary character; PostgreSQL's default escape is backslash.
    return `(${this.print(n.e)} ${n.not ? 'NOT ' : ''}LIKE ${this.print(n.pat)} ESCAPE '')`;
  }

  private cast(n: Extract<Node, { t: 'cast' }>): string {
    let m: TypeMapping;
    try { m = mapMsType(parseMsType(n.type)); } catch { throw new UntranslatableError(`unknown type ${n.type}`); }
    const target = kindTy(m.kind);
    const inner = n.e.t === 'paren' ? n.e.e : n.e;
    const src = this.ty(inner);
    if (n.style !== undefined) {
      const style = n.style.t === 'paren' ? n.style.e : n.style;
      const styleNum = style.t === 'num' ? Number(style.v) : NaN;
      const isoLiteral = inner.t === 'str' && /^\d{4}-?\d{2}-?\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(inner.v);
      if (target === 'string' && src === 'datetime') {
        const fmt = toCharFormats[styleNum];
        if (!fmt) throw new UntranslatableError(`CONVERT style ${style.t === 'num' ? style.v : '?'} from date/time`);
        this.volatile('to_char');
        return `to_char(${this.print(inner)}, ${pgLiteral(fmt)})`;
      }
      if (!(isoLiteral || src === 'number' || (target === 'datetime' && src === 'datetime') || [0, 100, 120, 121, 126, 127, 112, 23, 20, 21].includes(styleNum) && src !== 'string')) {
        throw new UntranslatableError(`CONVERT(${n.type}, ..., style) with a culture-dependent style`);
      }
    }
    if (target === 'bool' && inner.t === 'num') return this.print(inner, 'bool');
    if (target === 'bool' && inner.t === 'str') return this.print(inner, 'bool');
    if (this.ctx.purpose === 'computed' && ((src === 'datetime' && target === 'string') || (src === 'string' && target === 'datetime'))) {
      throw new UntranslatableError('a cast between text and date/time depends on DateStyle, so it is not immutable');
    }
    if (target === 'string' && m.targetType === 'text' && src === 'string') return this.print(inner);
    return `CAST(${this.print(inner, target === 'bool' ? 'number' : undefined)} AS ${m.targetType})`;
  }

  private fn(n: Extract<Node, { t: 'fn' }>): string {
    const a = n.args;
    const arity = (k: number) => {
      if (a.length !== k) throw new UntranslatableError(`${n.name}() with ${a.length} arguments`);
    };
    const p = (x: Node, w?: Ty) => this.print(x, w);
    switch (n.name) {
      case 'getdate': case 'sysdatetime':
        arity(0); this.volatile(`${n.name}()`);
        this.notes.push(`${n.name}() (server local time) became LOCALTIMESTAMP (session time zone, UTC under tmig)`);
        return 'LOCALTIMESTAMP';
      case 'getutcdate': case 'sysutcdatetime':
        arity(0); this.volatile(`${n.name}()`);
        return "timezone('UTC', now())";
      case 'sysdatetimeoffset':
        arity(0); this.volatile(`${n.name}()`);
        return 'CURRENT_TIMESTAMP';
      case 'newid': arity(0); this.volatile('newid()'); return 'gen_random_uuid()';
      case 'newsequentialid':
        arity(0); this.volatile('newsequentialid()');
        this.notes.push('newsequentialid() became gen_random_uuid(): values are random, not sequential');
        return 'gen_random_uuid()';
      case 'db_name': arity(0); this.volatile('db_name()'); return 'current_database()';
      case 'suser_sname': case 'suser_name': case 'user_name': case 'original_login':
        arity(0); this.volatile(`${n.name}()`); return 'CURRENT_USER';
      case 'isnull': arity(2); return `COALESCE(${p(a[0])}, ${p(a[1], this.ty(a[0]))})`;
      case 'coalesce': { const w = this.ty(a[0]); return `COALESCE(${a.map((x) => p(x, w)).join(', ')})`; }
      case 'nullif': arity(2); return `NULLIF(${p(a[0])}, ${p(a[1], this.ty(a[0]))})`;
      case 'iif': arity(3); return `(CASE WHEN ${p(a[0], 'bool')} THEN ${p(a[1])} ELSE ${p(a[2])} END)`;
      case 'upper': case 'lower': case 'reverse': arity(1); return `${n.name}(${p(a[0])})`;
      case 'ltrim': case 'rtrim':
        if (a.length === 1) return `${n.name}(${p(a[0])}, ' ')`;
        arity(2); return `${n.name}(${p(a[0])}, ${p(a[1])})`;
      case 'trim': arity(1); return `btrim(${p(a[0])}, ' ')`;
      case 'len': arity(1); return `length(rtrim(${p(a[0])}, ' '))`;
      case 'datalength': {
        arity(1);
        const k = a[0].t === 'col' ? this.ctx.columns.get(a[0].name.toLowerCase())?.mapping.kind : undefined;
        if (k !== 'bytea') throw new UntranslatableError('datalength() of text counts bytes of the SQL Server encoding');
        return `octet_length(${p(a[0])})`;
      }
      case 'abs': case 'floor': case 'sign': case 'sqrt': case 'exp': arity(1); return `${n.name}(${p(a[0], 'number')})`;
      case 'ceiling': arity(1); return `ceil(${p(a[0], 'number')})`;
      case 'power': arity(2); return `power(${p(a[0], 'number')}, ${p(a[1], 'number')})`;
      case 'round':
        if (a.length !== 2) throw new UntranslatableError('round() with a truncation argument');
        return `round(CAST(${p(a[0], 'number')} AS numeric), ${p(a[1], 'number')})`;
      case 'substring': arity(3); return `substr(${p(a[0])}, ${p(a[1], 'number')}, ${p(a[2], 'number')})`;
      case 'left': case 'right': arity(2); return `${n.name}(${p(a[0])}, ${p(a[1], 'number')})`;
      case 'replace': arity(3); return `replace(${p(a[0])}, ${p(a[1])}, ${p(a[2])})`;
      case 'replicate': arity(2); return `repeat(${p(a[0])}, ${p(a[1], 'number')})`;
      case 'charindex': arity(2); return `strpos(${p(a[1])}, ${p(a[0])})`;
      case 'concat':
        if (this.ctx.purpose === 'computed') {
          if (!a.every((x) => this.ty(x) === 'string')) throw new UntranslatableError('concat() of non-text values is not immutable in PostgreSQL');
          return `(${a.map((x) => `COALESCE(${p(x)}, '')`).join(' || ')})`;
        }
        return `concat(${a.map((x) => p(x)).join(', ')})`;
      case 'year': case 'month': case 'day':
        arity(1); return `CAST(EXTRACT(${n.name.toUpperCase()} FROM ${p(a[0])}) AS integer)`;
      case 'datepart': {
        arity(2);
        const part = datePart(a[0]);
        return `CAST(EXTRACT(${part.toUpperCase()} FROM ${p(a[1])}) AS integer)`;
      }
      case 'dateadd': {
        arity(3);
        const part = datePart(a[0]);
        if (['dow', 'doy', 'week', 'quarter'].includes(part)) throw new UntranslatableError(`dateadd(${part}, ...)`);
        return `(${p(a[2])} + ${p(a[1], 'number')} * INTERVAL '1 ${part}')`;
      }
      case 'datediff': {
        arity(3);
        if (datePart(a[0]) !== 'day') throw new UntranslatableError('datediff() other than by day');
        return `(CAST(${p(a[2])} AS date) - CAST(${p(a[1])} AS date))`;
      }
      default:
        throw new UntranslatableError(`function ${n.name}() has no known PostgreSQL translation`);
    }
  }
}

const toCharFormats: Record<number, string> = {
  112: 'YYYYMMDD', 23: 'YYYY-MM-DD', 120: 'YYYY-MM-DD HH24:MI:SS', 20: 'YYYY-MM-DD HH24:MI:SS',
  121: 'YYYY-MM-DD HH24:MI:SS.MS', 21: 'YYYY-MM-DD HH24:MI:SS.MS', 126: 'YYYY-MM-DD"T"HH24:MI:SS.MS', 108: 'HH24:MI:SS', 8: 'HH24:MI:SS',
};

function datePart(n: Node): string {
  const name = n.t === 'col' ? n.name.toLowerCase() : n.t === 'str' ? n.v.toLowerCase() : '';
  const part = dateParts[name];
  if (!part) throw new UntranslatableError(`date part ${name || '?'}`);
  return part;
}

/** T-SQL LIKE pattern with [..] classes -> anchored POSIX regex. */
export function likeToRegex(pattern: string): string {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '%') out += '.*';
    else if (ch === '_') out += '.';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) { out += '\\['; continue; }
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1).replace(/[\\\]]/g, '\\$&');
      else cls = cls.replace(/[\\\]]/g, '\\$&');
      out += `[${cls}]`;
      i = end;
    } else if (/[.*+?^${}()|\\\]]/.test(ch)) out += '\\' + ch;
    else out += ch;
  }
  return out + '$';
}

/** Removes redundant outer parentheses (`((0))` -> `0`, `((a) + (b))` stays balanced). */
export function stripOuterParens(sql: string): string {
  let s = sql.trim();
  for (;;) {
    if (!(s.startsWith('(') && s.endsWith(')'))) return s;
    let depth = 0;
    let inStr = false;
    for (let i = 0; i < s.length; i++) {
      const ch = s[i];
      if (ch === "'") inStr = !inStr;
      if (inStr) continue;
      if (ch === '(') depth++;
      else if (ch === ')') { depth--; if (depth === 0 && i < s.length - 1) return s; }
    }
    s = s.slice(1, -1).trim();
  }
}

/** Translates one expression for the given purpose. */
export function translateExpression(text: string, ctx: ExprContext): Translation {
  const node = parseTsqlExpression(text);
  const printer = new Printer(ctx);
  const want = ctx.purpose === 'check' || ctx.purpose === 'filter' ? 'bool' : ctx.target ? kindTy(ctx.target.kind) : undefined;
  let sql = printer.print(node, want);
  if (ctx.purpose === 'default' && ctx.target && want === 'bool' && !['true', 'false', 'NULL'].includes(sql) && printer.ty(node) === 'number') {
    sql = `CAST(${sql} AS boolean)`;
  }
  return { sql: stripOuterParens(sql), notes: printer.notes };
}

/**
 * The SQL Server type a computed column most likely has, from its expression (used when a DDL
 * script, unlike the catalog, does not state it).
 */
/** Functions whose T-SQL result type is int whatever their arguments (DATEDIFF, LEN, DATEPART, ...). */
const INT_FUNCTIONS = /^\(*\s*(DATEDIFF|LEN|DATALENGTH|DATEPART|YEAR|MONTH|DAY|CHARINDEX|PATINDEX|SIGN)\s*\(/i;

export function inferComputedType(text: string, columns: Map<string, ExprColumn>): string {
  if (INT_FUNCTIONS.test(text) && /\)\s*\)*\s*$/.test(text) && balancedSingleCall(text)) return /^\(*\s*DATEDIFF_BIG/i.test(text) ? 'bigint' : 'int';
  // Integer columns and integer literals under + - * / %: int, or bigint when a bigint is involved.
  const refs = [...text.matchAll(/\[([^\]]+)\]|\b([A-Za-z_]\w*)\b/g)].map((m) => (m[1] ?? m[2]).toLowerCase());
  if (refs.length && /^[\s()\[\]\w+\-*/%]+$/.test(text) && refs.every((r) => columns.get(r)?.mapping.kind === 'int' || columns.get(r)?.mapping.kind === 'bigint')) {
    return refs.some((r) => columns.get(r)?.mapping.kind === 'bigint') ? 'bigint' : 'int';
  }
  let ty: Ty = 'unknown';
  try {
    ty = new Printer({ purpose: 'check', columns }).ty(parseTsqlExpression(text));
  } catch {
    ty = 'unknown';
  }
  switch (ty) {
    case 'number': return 'decimal(38,10)';
    case 'datetime': return 'datetime2(6)';
    case 'bool': return 'bit';
    case 'uuid': return 'uniqueidentifier';
    case 'binary': return 'varbinary(max)';
    default: return 'nvarchar(max)';
  }
}

/** The whole expression is one call: its first '(' closes at the end (ignoring outer parentheses). */
function balancedSingleCall(text: string): boolean {
  const t = text.trim().replace(/^\(+/, '');
  const open = t.indexOf('(');
  let depth = 0;
  for (let i = open; i < t.length; i++) {
    if (t[i] === '(') depth++;
    else if (t[i] === ')' && --depth === 0) return /^\)*$/.test(t.slice(i + 1).trim());
  }
  return false;
}
