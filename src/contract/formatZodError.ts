import type { z } from 'zod';

/** One line per problem, each naming the field path, e.g. `tenants[3].source.server: Required`. */
export function formatZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>((acc, part) =>
        typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part), '');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}
