import { tokenize, isKeyword, isPunct, isName, TsqlSyntaxError, type Token } from './tsqlLexer';
import { parseMsType, SYSTEM_TYPES } from './typeMapping';
import type { ConversionNote } from '../schemaModel';
import type { RawColumn, RawForeignKey, RawIndex, RawObject, RawSchema, RawTable } from './rawSchema';

/**
 * Parses T-SQL DDL scripts as SSMS "Generate Scripts" writes them (GO batches, [brackets],
 * SET/USE, CREATE TABLE with inline and table constraints, ALTER TABLE ADD CONSTRAINT,
 * CREATE INDEX, alias types, existence checks) into the RawSchema the catalog reader also
 * produces. Views, procedures, functions, triggers, synonyms and sequences are inventoried.
 * Statements it does not understand are skipped and reported, never guessed at.
 */

export interface ParsedScript {
  raw: RawSchema;
  issues: ConversionNote[];
}

/** Splits a script on `GO` lines (outside block comments and strings is good enough for generated scripts). */
export function splitBatches(script: string): { text: string; line: number }[] {
  const lines = script.replace(/^\uFEFF/, '').split(/\r?\n/);
  const batches: { text: string; line: number }[] = [];
  let cur: string[] = [];
  let start = 1;
  lines.forEach((l, i) => {
    const m = /^\s*GO(?:\s+(\d+))?\s*(?:--.*)?$/i.exec(l);
    if (m) {
      if (cur.join('').trim()) batches.push({ text: cur.join('\n'), line: start });
      cur = [];
      start = i + 2;
    } else cur.push(l);
  });
  if (cur.join('').trim()) batches.push({ text: cur.join('\n'), line: start });
  return batches;
}

const statementStarts = new Set(['CREATE', 'ALTER', 'SET', 'USE', 'IF', 'EXEC', 'EXECUTE', 'PRINT', 'DECLARE', 'INSERT', 'GRANT', 'DENY',
  'REVOKE', 'DROP', 'BEGIN', 'END', 'UPDATE', 'DELETE', 'SELECT', 'RAISERROR', 'COMMIT', 'ROLLBACK', 'TRUNCATE', 'WHILE', 'RETURN', 'DBCC']);

const fkActionWords: Record<string, string> = { 'NO ACTION': 'NO_ACTION', CASCADE: 'CASCADE', 'SET NULL': 'SET_NULL', 'SET DEFAULT': 'SET_DEFAULT' };

class ScriptParser {
  private toks: Token[] = [];
  private i = 0;
  private text = '';
  private line = 0;
  readonly tables = new Map<string, RawTable>();
  readonly objects: RawObject[] = [];
  readonly issues: ConversionNote[] = [];
  readonly aliasTypes = new Map<string, { base: RawColumn; nullable: boolean }>();
  private database = '';
  /** Constraint states from ALTER TABLE ... [NO]CHECK CONSTRAINT (applied at the end). */
  private readonly constraintState: { table: string; name: string; enabled: boolean }[] = [];

  parse(script: string, origin: string): ParsedScript {
    for (const b of splitBatches(script)) {
      this.text = b.text;
      this.line = b.line;
      try {
        this.toks = tokenize(b.text);
      } catch (err) {
        this.issue('unsupported', `${origin}:${b.line}`, `batch skipped: ${(err as Error).message}`);
        continue;
      }
      this.i = 0;
      while (this.i < this.toks.length) {
        const at = this.i;
        try {
          this.statement();
        } catch (err) {
          if (!(err instanceof TsqlSyntaxError)) throw err;
          this.issue('unsupported', `${origin}:${this.lineOf(this.toks[at])}`, `statement skipped: ${err.message}`);
          this.i = Math.max(this.i, at + 1);
          this.skipStatement();
        }
        if (this.i === at) this.i++;
      }
    }
    for (const s of this.constraintState) {
      const t = this.tables.get(s.table);
      const target = t?.foreignKeys.find((f) => f.name === s.name) ?? t?.checks.find((c) => c.name === s.name);
      if (target) {
        target.disabled = !s.enabled;
        if (!s.enabled) target.notTrusted = true;
      }
    }
    return { raw: { database: this.database || origin, tables: [...this.tables.values()], objects: this.objects }, issues: this.issues };
  }

  // ---------------------------------------------------------------- helpers
  private issue(severity: ConversionNote['severity'], object: string, message: string): void {
    this.issues.push({ severity, object, message });
  }
  private lineOf(t: Token | undefined): number {
    if (!t) return this.line;
    return this.line + (this.text.slice(0, t.pos).match(/\n/g)?.length ?? 0);
  }
  private fail(msg: string): never {
    const t = this.toks[this.i];
    throw new TsqlSyntaxError(`${msg} (near ${t ? JSON.stringify(t.value) : 'end of batch'})`);
  }
  private peek(o = 0): Token | undefined { return this.toks[this.i + o]; }
  private next(): Token {
    const t = this.toks[this.i++];
    if (!t) this.fail('unexpected end of batch');
    return t;
  }
  private kw(...words: string[]): boolean {
    for (let k = 0; k < words.length; k++) if (!isKeyword(this.peek(k), words[k])) return false;
    this.i += words.length;
    return true;
  }
  /** Consumes one of the given single keywords when present. */
  private optional(...words: string[]): void {
    for (const w of words) if (this.kw(w)) return;
  }
  private expectKw(word: string): void {
    if (!this.kw(word)) this.fail(`expected ${word}`);
  }
  private punct(p: string): boolean {
    if (isPunct(this.peek(), p)) { this.i++; return true; }
    return false;
  }
  private expectPunct(p: string): void {
    if (!this.punct(p)) this.fail(`expected ${p}`);
  }
  private name(): string {
    const t = this.next();
    if (!isName(t)) this.fail('expected a name');
    return t.value;
  }
  /** [db.][schema.]name -> { schema, name } (default schema dbo). */
  private qualifiedName(): { schema: string; name: string } {
    const parts = [this.name()];
    while (isPunct(this.peek(), '.')) { this.i++; parts.push(this.name()); }
    if (parts.length >= 3) this.database ||= parts[parts.length - 3];
    return parts.length === 1 ? { schema: 'dbo', name: parts[0] } : { schema: parts[parts.length - 2], name: parts[parts.length - 1] };
  }
  /** Skips a balanced parenthesized group starting at '('; returns the text inside. */
  private group(): string {
    const open = this.next();
    if (!isPunct(open, '(')) this.fail('expected (');
    let depth = 1;
    let last = open;
    while (depth > 0) {
      last = this.next();
      if (isPunct(last, '(')) depth++;
      else if (isPunct(last, ')')) depth--;
    }
    return this.text.slice(open.end, last.pos);
  }
  /** Source text of an expression: a parenthesized group or one literal/function call/negative number. */
  private expressionText(): string {
    const first = this.peek();
    if (!first) this.fail('expected an expression');
    if (isPunct(first, '(')) {
      const startTok = first;
      this.group();
      return this.text.slice(startTok.pos, this.toks[this.i - 1].end);
    }
    const start = this.i;
    if (first.kind === 'op' && (first.value === '-' || first.value === '+')) this.i++;
    const t = this.next();
    if (isName(t) && isPunct(this.peek(), '(')) this.group();
    return this.text.slice(this.toks[start].pos, this.toks[this.i - 1].end);
  }
  private skipStatement(): void {
    let depth = 0;
    while (this.i < this.toks.length) {
      const t = this.toks[this.i];
      if (isPunct(t, '(')) depth++;
      else if (isPunct(t, ')')) depth--;
      else if (depth <= 0 && isPunct(t, ';')) { this.i++; return; }
      else if (depth <= 0 && t.kind === 'ident' && statementStarts.has(t.value.toUpperCase()) && !this.continuesStatement()) return;
      this.i++;
    }
  }
  /** Keywords that also occur inside statements (SET in UPDATE, SELECT in IF EXISTS ...). */
  private continuesStatement(): boolean {
    const prev = this.toks[this.i - 1];
    const t = this.toks[this.i];
    const word = t.value.toUpperCase();
    if (word === 'SET' && prev && (isKeyword(prev, 'ON') || isKeyword(prev, 'DELETE') || isKeyword(prev, 'UPDATE'))) return true;
    return false;
  }
  private skipOptions(): string[] {
    // ON [PRIMARY] / TEXTIMAGE_ON [x] / FILESTREAM_ON x / WITH (...) / WITH DATA_COMPRESSION ...
    const withTexts: string[] = [];
    for (;;) {
      if (isKeyword(this.peek(), 'ON') && !isKeyword(this.peek(1), 'DELETE') && !isKeyword(this.peek(1), 'UPDATE')) {
        this.i++;
        this.name();
        if (isPunct(this.peek(), '(')) this.group();
      } else if (isKeyword(this.peek(), 'TEXTIMAGE_ON') || isKeyword(this.peek(), 'FILESTREAM_ON')) {
        this.i += 2;
      } else if (isKeyword(this.peek(), 'WITH') && isPunct(this.peek(1), '(')) {
        this.i++;
        withTexts.push(this.group());
      } else return withTexts;
    }
  }

  // ---------------------------------------------------------------- statements
  private statement(): void {
    const t = this.peek()!;
    if (isPunct(t, ';')) { this.i++; return; }
    if (this.kw('USE')) { this.database = this.name(); return; }
    if (this.kw('SET')) { this.skipStatement(); return; }
    if (this.kw('IF')) { this.ifExists(); return; }
    if (this.kw('BEGIN')) { this.optional('TRANSACTION', 'TRAN'); return; }
    if (this.kw('END')) return;
    if (isKeyword(t, 'CREATE') || isKeyword(t, 'ALTER')) {
      const alter = isKeyword(t, 'ALTER');
      this.i++;
      if (this.kw('OR', 'ALTER')) { /* CREATE OR ALTER view/proc/function/trigger */ }
      const what = this.peek();
      if (alter && this.kw('TABLE')) { this.alterTable(); return; }
      if (!alter && this.kw('TABLE')) { this.createTable(); return; }
      if (isKeyword(what, 'XML') && isKeyword(this.peek(1), 'SCHEMA')) {
        this.i += 3;
        const n = this.qualifiedName();
        this.objects.push({ kind: 'xml schema collection', schema: n.schema, name: n.name });
        this.skipStatement();
        return;
      }
      if (!alter && (isKeyword(what, 'UNIQUE') || isKeyword(what, 'CLUSTERED') || isKeyword(what, 'NONCLUSTERED') || isKeyword(what, 'INDEX')
        || isKeyword(what, 'XML') || isKeyword(what, 'SPATIAL') || isKeyword(what, 'PRIMARY') || isKeyword(what, 'COLUMNSTORE'))) {
        this.createIndex();
        return;
      }
      if (!alter && isKeyword(what, 'TYPE')) { this.i++; this.createType(); return; }
      const word = what?.value.toUpperCase() ?? '';
      const kinds: Record<string, string> = { VIEW: 'view', PROCEDURE: 'procedure', PROC: 'procedure', FUNCTION: 'function', TRIGGER: 'trigger', SYNONYM: 'synonym', SEQUENCE: 'sequence' };
      if (kinds[word]) {
        this.i++;
        const n = this.qualifiedName();
        let parent: string | undefined;
        if (word === 'TRIGGER' && this.kw('ON')) parent = this.qualifiedName().name;
        if (!alter && !this.objects.some((o) => o.kind === kinds[word] && o.schema === n.schema && o.name === n.name)) {
          this.objects.push({ kind: kinds[word], schema: n.schema, name: n.name, parent });
        }
        // Module bodies run to the end of the batch.
        if (['VIEW', 'PROCEDURE', 'PROC', 'FUNCTION', 'TRIGGER'].includes(word)) this.i = this.toks.length;
        else this.skipStatement();
        return;
      }
      if (isKeyword(what, 'FULLTEXT')) { this.issue('unsupported', 'script', 'full-text index/catalog not migrated'); this.skipStatement(); return; }
      // CREATE SCHEMA / DATABASE / USER / ROLE / LOGIN, ALTER DATABASE/AUTHORIZATION, ...: nothing to migrate
      this.skipStatement();
      return;
    }
    if (isKeyword(t, 'EXEC') || isKeyword(t, 'EXECUTE')) { this.execStatement(); return; }
    this.i++;
    this.skipStatement();
  }

  /** `IF [NOT] EXISTS (...)` / `IF OBJECT_ID(...) IS NULL`: the condition is skipped, the guarded statement parsed. */
  private ifExists(): void {
    this.kw('NOT');
    if (this.kw('EXISTS')) { this.group(); return; }
    // IF OBJECT_ID(N'x') IS [NOT] NULL / IF <expr> = 0 ...
    while (this.i < this.toks.length && !(this.peek()!.kind === 'ident' && statementStarts.has(this.peek()!.value.toUpperCase()) && !isKeyword(this.peek(), 'SELECT'))) {
      if (isPunct(this.peek(), '(')) this.group(); else this.i++;
    }
  }

  /** `EXEC dbo.sp_executesql @statement = N'CREATE VIEW ...'`: SSMS wraps modules this way with existence checks. */
  private execStatement(): void {
    const start = this.i;
    this.i++;
    this.skipStatement();
    const strings = this.toks.slice(start, this.i).filter((t) => t.kind === 'nstring' || t.kind === 'string');
    // EXEC sp_addtype N'Phone', N'nvarchar(25)', N'NOT NULL': an alias type the old way.
    const proc = this.toks.slice(start + 1, this.i).find((t) => t.kind === 'ident' || t.kind === 'quoted');
    if (proc && /^(sys\.)?sp_addtype$/i.test(proc.value) && strings.length >= 2) {
      const parts = strings[0].value.split('.').map((x) => x.trim().replace(/^\[|\]$/g, ''));
      const t = parseMsType(strings[1].value);
      const base: RawColumn = { name: '', type: t.name, length: t.length ?? null, precision: t.precision ?? null, scale: t.scale ?? null, nullable: true };
      const nullable = !/not\s+null/i.test(strings[2]?.value ?? '');
      const name = parts[parts.length - 1];
      this.aliasTypes.set(`${parts.length > 1 ? parts[0] : 'dbo'}.${name}`.toLowerCase(), { base, nullable });
      this.aliasTypes.set(name.toLowerCase(), { base, nullable });
      return;
    }
    for (const s of strings) {
      const m = /^\s*CREATE\s+(?:OR\s+ALTER\s+)?(VIEW|PROCEDURE|PROC|FUNCTION|TRIGGER)\s+((?:\[[^\]]+\]|\w+)(?:\s*\.\s*(?:\[[^\]]+\]|\w+))?)/i.exec(s.value);
      if (!m) continue;
      const parts = m[2].split('.').map((p) => p.trim().replace(/^\[|\]$/g, ''));
      const kind = { VIEW: 'view', PROCEDURE: 'procedure', PROC: 'procedure', FUNCTION: 'function', TRIGGER: 'trigger' }[m[1].toUpperCase()]!;
      this.objects.push({ kind, schema: parts.length > 1 ? parts[0] : 'dbo', name: parts[parts.length - 1] });
    }
  }

  private createType(): void {
    const n = this.qualifiedName();
    if (this.kw('FROM')) {
      const base = this.columnType();
      let nullable = true;
      if (this.kw('NOT', 'NULL')) nullable = false;
      else this.kw('NULL');
      this.aliasTypes.set(`${n.schema}.${n.name}`.toLowerCase(), { base, nullable });
      this.aliasTypes.set(n.name.toLowerCase(), { base, nullable });
      return;
    }
    this.objects.push({ kind: 'type', schema: n.schema, name: n.name });
    this.skipStatement();
  }

  /** A column type (system or alias) -> RawColumn type fields. */
  private columnType(): RawColumn {
    const parts = [this.name()];
    while (isPunct(this.peek(), '.')) { this.i++; parts.push(this.name()); }
    let spelled = parts[parts.length - 1];
    // Multi-word system types: double precision, national character varying, ...
    while (isKeyword(this.peek(), 'PRECISION') || isKeyword(this.peek(), 'VARYING') || isKeyword(this.peek(), 'CHARACTER') || isKeyword(this.peek(), 'CHAR')) {
      spelled += ' ' + this.next().value;
    }
    let xmlSchemaBound = false;
    if (isPunct(this.peek(), '(')) {
      const inner = this.group();
      // xml(CONTENT|DOCUMENT schema_collection): typed xml
      if (spelled.toLowerCase() === 'xml') xmlSchemaBound = true;
      else spelled += `(${inner})`;
    }
    const qualified = parts.join('.').toLowerCase();
    const alias = this.aliasTypes.get(qualified) ?? (parts.length === 1 || parts[0].toLowerCase() !== 'sys' ? this.aliasTypes.get(parts[parts.length - 1].toLowerCase()) : undefined);
    if (alias && !SYSTEM_TYPES.has(parts[parts.length - 1].toLowerCase())) {
      return { ...alias.base, name: '', aliasType: parts.length > 1 ? parts.join('.') : `dbo.${parts[0]}`, nullable: alias.nullable };
    }
    const t = parseMsType(spelled);
    // Neither a system type nor an alias declared in this script (CREATE TYPE ... FROM / sp_addtype):
    // unresolved, reported; never guessed (it may be an alias created elsewhere or a CLR type).
    const unresolvedType = SYSTEM_TYPES.has(t.name) ? undefined : parts.join('.');
    return { name: '', type: t.name, length: t.length ?? null, precision: t.precision ?? null, scale: t.scale ?? null, nullable: true,
      xmlSchemaBound: xmlSchemaBound || undefined, unresolvedType };
  }

  private table(schema: string, name: string): RawTable {
    const key = `${schema}.${name}`.toLowerCase();
    const t = this.tables.get(key);
    if (!t) this.fail(`table ${schema}.${name} is not created in this script`);
    return t;
  }

  private createTable(): void {
    const n = this.qualifiedName();
    if (n.name.startsWith('#')) { this.skipStatement(); return; }
    const table: RawTable = { schema: n.schema, name: n.name, columns: [], indexes: [], foreignKeys: [], checks: [] };
    this.tables.set(`${n.schema}.${n.name}`.toLowerCase(), table);
    if (this.kw('AS', 'FILETABLE')) { table.flags = ['FileTable: migrated as a plain table']; this.skipStatement(); return; }
    this.expectPunct('(');
    for (;;) {
      if (isKeyword(this.peek(), 'CONSTRAINT') || isKeyword(this.peek(), 'PRIMARY') || isKeyword(this.peek(), 'UNIQUE')
        || isKeyword(this.peek(), 'FOREIGN') || isKeyword(this.peek(), 'CHECK') || (isKeyword(this.peek(), 'INDEX') && isName(this.peek(1)))
        || isKeyword(this.peek(), 'PERIOD')) {
        this.tableConstraint(table, true);
      } else {
        this.columnDefinition(table);
      }
      if (this.punct(',')) continue;
      this.expectPunct(')');
      break;
    }
    const options = this.skipOptions().join(' ');
    const flags: string[] = [];
    if (/SYSTEM_VERSIONING\s*=\s*ON/i.test(options)) flags.push('system-versioned temporal table: migrated as a plain table (history table separately)');
    if (/MEMORY_OPTIMIZED\s*=\s*ON/i.test(options)) flags.push('memory-optimized table: migrated as a plain table');
    if (flags.length) table.flags = flags;
    this.punct(';');
  }

  private columnDefinition(table: RawTable): void {
    const name = this.name();
    const object = `${table.schema}.${table.name}.${name}`;
    if (this.kw('AS')) {
      // computed column: the expression runs to PERSISTED / NOT NULL / CONSTRAINT / , / )
      const startTok = this.peek();
      let depth = 0;
      while (this.i < this.toks.length) {
        const t = this.peek()!;
        if (depth === 0 && (isPunct(t, ',') || isPunct(t, ')') || isKeyword(t, 'PERSISTED') || isKeyword(t, 'CONSTRAINT')
          || (isKeyword(t, 'NOT') && isKeyword(this.peek(1), 'NULL')) || isKeyword(t, 'PRIMARY') || isKeyword(t, 'UNIQUE'))) break;
        if (isPunct(t, '(')) depth++;
        if (isPunct(t, ')')) depth--;
        this.i++;
      }
      const definition = this.text.slice(startTok!.pos, this.toks[this.i - 1].end);
      const persisted = this.kw('PERSISTED');
      // The type is not stated in a script: buildModel infers it from the expression.
      const col: RawColumn = { name, type: '', nullable: true, computed: { definition, persisted } };
      this.kw('NOT', 'NULL');
      table.columns.push(col);
      this.columnConstraints(table, col, object);
      return;
    }
    const col = { ...this.columnType(), name };
    col.nullable = col.aliasType ? col.nullable : true;
    table.columns.push(col);
    this.columnConstraints(table, col, object);
  }

  private columnConstraints(table: RawTable, col: RawColumn, object: string): void {
    for (;;) {
      const t = this.peek();
      if (!t || isPunct(t, ',') || isPunct(t, ')')) return;
      if (this.kw('NOT', 'NULL')) { col.nullable = false; continue; }
      if (this.kw('NULL')) { col.nullable = true; continue; }
      if (this.kw('COLLATE')) { col.collation = this.name(); continue; }
      if (this.kw('IDENTITY')) {
        col.identity = { seed: '1', increment: '1' };
        if (isPunct(this.peek(), '(')) {
          const inner = this.group().split(',').map((s) => s.trim());
          col.identity = { seed: inner[0] ?? '1', increment: inner[1] ?? '1' };
        }
        continue;
      }
      if (this.kw('NOT', 'FOR', 'REPLICATION')) continue;
      if (this.kw('ROWGUIDCOL')) { (col.flags ??= []).push('ROWGUIDCOL property dropped'); continue; }
      if (this.kw('SPARSE')) { (col.flags ??= []).push('SPARSE property dropped'); continue; }
      if (this.kw('FILESTREAM')) { (col.flags ??= []).push('FILESTREAM: the data is copied into bytea'); continue; }
      if (this.kw('PERSISTED')) continue;
      if (this.kw('HIDDEN')) continue;
      if (this.kw('MASKED', 'WITH')) { this.group(); (col.flags ??= []).push('dynamic data masking dropped'); continue; }
      if (this.kw('ENCRYPTED', 'WITH')) { this.group(); (col.flags ??= []).push('Always Encrypted column: values are copied as ciphertext'); continue; }
      if (this.kw('GENERATED', 'ALWAYS', 'AS', 'ROW')) { this.optional('START', 'END'); (col.flags ??= []).push('temporal period column: copied as a plain column'); continue; }
      let cname: string | undefined;
      if (this.kw('CONSTRAINT')) cname = this.name();
      if (this.kw('DEFAULT')) {
        col.default = { name: cname, definition: this.expressionText() };
        this.kw('WITH', 'VALUES');
        continue;
      }
      if (isKeyword(this.peek(), 'PRIMARY') || isKeyword(this.peek(), 'UNIQUE')) {
        const pk = this.kw('PRIMARY', 'KEY');
        if (!pk) this.expectKw('UNIQUE');
        const type = this.kw('NONCLUSTERED') ? 'nonclustered' : this.kw('CLUSTERED') ? 'clustered' : pk ? 'clustered' : 'nonclustered';
        const ix: RawIndex = { name: cname ?? (pk ? `PK_${table.name}` : `UQ_${table.name}_${col.name}`), primaryKey: pk, unique: true, uniqueConstraint: !pk, type,
          columns: [{ name: col.name, descending: false }], include: [] };
        if (isPunct(this.peek(), '(')) this.group();
        this.skipOptions();
        if (pk) col.nullable = false;
        table.indexes.push(ix);
        continue;
      }
      if (this.kw('FOREIGN', 'KEY') || isKeyword(this.peek(), 'REFERENCES')) {
        this.expectKw('REFERENCES');
        const ref = this.qualifiedName();
        const refCols = isPunct(this.peek(), '(') ? this.nameList() : [];
        const fk: RawForeignKey = { name: cname ?? `FK_${table.name}_${ref.name}_${col.name}`, columns: [col.name], refSchema: ref.schema, refTable: ref.name,
          refColumns: refCols, onDelete: 'NO_ACTION', onUpdate: 'NO_ACTION', disabled: false, notTrusted: false };
        this.fkActions(fk);
        table.foreignKeys.push(fk);
        continue;
      }
      if (this.kw('CHECK')) {
        this.kw('NOT', 'FOR', 'REPLICATION');
        const start = this.peek()!;
        this.group();
        table.checks.push({ name: cname ?? `CK_${table.name}_${table.checks.length + 1}`, definition: this.text.slice(start.pos, this.toks[this.i - 1].end), disabled: false, notTrusted: false });
        continue;
      }
      if (this.kw('INDEX')) {
        const ixName = this.name();
        table.indexes.push({ name: ixName, primaryKey: false, unique: false, type: 'nonclustered', columns: [{ name: col.name, descending: false }], include: [] });
        this.optional('CLUSTERED', 'NONCLUSTERED');
        this.skipOptions();
        continue;
      }
      this.issue('unsupported', object, `column option ${t.value} ignored`);
      this.i++;
    }
  }

  private nameList(): string[] {
    this.expectPunct('(');
    const names: string[] = [];
    do {
      names.push(this.name());
      this.optional('ASC', 'DESC');
    } while (this.punct(','));
    this.expectPunct(')');
    return names;
  }

  private keyColumns(): { name: string; descending: boolean }[] {
    this.expectPunct('(');
    const cols: { name: string; descending: boolean }[] = [];
    do {
      const name = this.name();
      const descending = this.kw('DESC');
      if (!descending) this.kw('ASC');
      cols.push({ name, descending });
    } while (this.punct(','));
    this.expectPunct(')');
    return cols;
  }

  private fkActions(fk: RawForeignKey): void {
    for (;;) {
      if (this.kw('ON', 'DELETE')) fk.onDelete = this.action();
      else if (this.kw('ON', 'UPDATE')) fk.onUpdate = this.action();
      else if (this.kw('NOT', 'FOR', 'REPLICATION')) continue;
      else return;
    }
  }
  private action(): string {
    for (const [words, value] of Object.entries(fkActionWords)) {
      if (this.kw(...words.split(' '))) return value;
    }
    this.fail('expected a referential action');
  }

  /** A table constraint (in CREATE TABLE or ALTER TABLE ... ADD). */
  private tableConstraint(table: RawTable, inCreate: boolean, withNoCheck = false): void {
    let cname: string | undefined;
    if (this.kw('CONSTRAINT')) cname = this.name();
    if (this.kw('PERIOD', 'FOR', 'SYSTEM_TIME')) { this.group(); return; }
    if (isKeyword(this.peek(), 'PRIMARY') || isKeyword(this.peek(), 'UNIQUE')) {
      const pk = this.kw('PRIMARY', 'KEY');
      if (!pk) this.expectKw('UNIQUE');
      const type = this.kw('NONCLUSTERED') ? 'nonclustered' : this.kw('CLUSTERED') ? 'clustered' : pk ? 'clustered' : 'nonclustered';
      this.kw('HASH'); // memory-optimized hash index: an ordinary btree key in PostgreSQL
      const columns = this.keyColumns();
      this.skipOptions();
      table.indexes.push({ name: cname ?? (pk ? `PK_${table.name}` : `UQ_${table.name}_${columns.map((c) => c.name).join('_')}`), primaryKey: pk, unique: true,
        uniqueConstraint: !pk, type, columns, include: [] });
      if (pk) for (const c of columns) { const col = table.columns.find((x) => x.name === c.name); if (col) col.nullable = false; }
      return;
    }
    if (this.kw('FOREIGN', 'KEY')) {
      const columns = this.nameList();
      this.expectKw('REFERENCES');
      const ref = this.qualifiedName();
      const refColumns = isPunct(this.peek(), '(') ? this.nameList() : [];
      const fk: RawForeignKey = { name: cname ?? `FK_${table.name}_${ref.name}`, columns, refSchema: ref.schema, refTable: ref.name, refColumns,
        onDelete: 'NO_ACTION', onUpdate: 'NO_ACTION', disabled: false, notTrusted: withNoCheck };
      this.fkActions(fk);
      table.foreignKeys.push(fk);
      return;
    }
    if (this.kw('CHECK')) {
      this.kw('NOT', 'FOR', 'REPLICATION');
      const start = this.peek()!;
      this.group();
      table.checks.push({ name: cname ?? `CK_${table.name}_${table.checks.length + 1}`, definition: this.text.slice(start.pos, this.toks[this.i - 1].end), disabled: false, notTrusted: withNoCheck });
      return;
    }
    if (!inCreate && this.kw('DEFAULT')) {
      const definition = this.expressionText();
      this.expectKw('FOR');
      const colName = this.name();
      const col = table.columns.find((c) => c.name.toLowerCase() === colName.toLowerCase());
      if (!col) this.fail(`DEFAULT for unknown column ${colName}`);
      col.default = { name: cname, definition };
      this.kw('WITH', 'VALUES');
      return;
    }
    if (inCreate && this.kw('INDEX')) {
      const name = this.name();
      const unique = this.kw('UNIQUE');
      const type = this.kw('NONCLUSTERED') ? 'nonclustered' : this.kw('CLUSTERED') ? 'clustered' : 'nonclustered';
      if (this.kw('COLUMNSTORE')) { table.indexes.push({ name, primaryKey: false, unique: false, type: 'columnstore', columns: [], include: [] }); if (isPunct(this.peek(), '(')) this.group(); return; }
      const columns = this.keyColumns();
      const include = this.kw('INCLUDE') ? this.nameList() : [];
      let filter: string | undefined;
      if (this.kw('WHERE')) filter = this.filterText();
      this.skipOptions();
      table.indexes.push({ name, primaryKey: false, unique, type, columns, include, filter });
      return;
    }
    this.fail('expected a constraint');
  }

  /** The predicate of a filtered index: up to WITH/ON/;/end. */
  private filterText(): string {
    const start = this.peek()!;
    let depth = 0;
    while (this.i < this.toks.length) {
      const t = this.peek()!;
      if (depth === 0 && (isPunct(t, ';') || (isKeyword(t, 'WITH') && isPunct(this.peek(1), '(')) || (isKeyword(t, 'ON') && isName(this.peek(1))))) break;
      if (isPunct(t, '(')) depth++;
      if (isPunct(t, ')')) depth--;
      this.i++;
    }
    return this.text.slice(start.pos, this.toks[this.i - 1].end);
  }

  private alterTable(): void {
    const n = this.qualifiedName();
    const tableKey = `${n.schema}.${n.name}`.toLowerCase();
    let noCheck = false;
    if (this.kw('WITH', 'NOCHECK')) noCheck = true;
    else this.kw('WITH', 'CHECK');
    if (this.kw('NOCHECK', 'CONSTRAINT')) {
      if (this.kw('ALL')) { this.table(n.schema, n.name).foreignKeys.forEach((f) => this.constraintState.push({ table: tableKey, name: f.name, enabled: false })); return; }
      this.constraintState.push({ table: tableKey, name: this.name(), enabled: false });
      return;
    }
    if (this.kw('CHECK', 'CONSTRAINT')) {
      if (this.kw('ALL')) return;
      this.constraintState.push({ table: tableKey, name: this.name(), enabled: true });
      return;
    }
    if (this.kw('ADD')) {
      const table = this.table(n.schema, n.name);
      do {
        if (isKeyword(this.peek(), 'CONSTRAINT') || isKeyword(this.peek(), 'PRIMARY') || isKeyword(this.peek(), 'UNIQUE') || isKeyword(this.peek(), 'FOREIGN')
          || isKeyword(this.peek(), 'CHECK') || isKeyword(this.peek(), 'DEFAULT')) {
          this.tableConstraint(table, false, noCheck);
        } else {
          this.columnDefinition(table);
        }
      } while (this.punct(','));
      this.punct(';');
      return;
    }
    if (this.kw('SET')) { this.skipStatement(); return; } // LOCK_ESCALATION, SYSTEM_VERSIONING
    this.issue('unsupported', `${n.schema}.${n.name}`, `ALTER TABLE ${this.peek()?.value ?? ''} ... not applied`);
    this.skipStatement();
  }

  private createIndex(): void {
    const unique = this.kw('UNIQUE');
    let type = this.kw('NONCLUSTERED') ? 'nonclustered' : this.kw('CLUSTERED') ? 'clustered' : 'nonclustered';
    if (this.kw('PRIMARY', 'XML')) type = 'xml';
    else if (this.kw('XML')) type = 'xml';
    else if (this.kw('SPATIAL')) type = 'spatial';
    else if (this.kw('COLUMNSTORE')) type = 'columnstore';
    this.expectKw('INDEX');
    const name = this.name();
    this.expectKw('ON');
    const t = this.qualifiedName();
    const table = this.table(t.schema, t.name);
    if (type === 'xml' || type === 'spatial' || (type === 'columnstore' && !isPunct(this.peek(), '('))) {
      table.indexes.push({ name, primaryKey: false, unique: false, type, columns: [], include: [] });
      this.skipStatement();
      return;
    }
    const columns = this.keyColumns();
    const include = this.kw('INCLUDE') ? this.nameList() : [];
    let filter: string | undefined;
    if (this.kw('WHERE')) filter = this.filterText();
    this.skipOptions();
    this.punct(';');
    table.indexes.push({ name, primaryKey: false, unique, type: type === 'columnstore' ? 'columnstore' : type, columns, include, filter });
  }
}

export function parseDdlScript(script: string, origin = 'script'): ParsedScript {
  return new ScriptParser().parse(script, origin);
}
