/** The one quoting function of the MySQL dialect (identifiers; values always travel as parameters). */
export function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}
