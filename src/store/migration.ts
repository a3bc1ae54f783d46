/**
 * One schema change. Migrations are numbered and append-only: a shipped migration is never edited,
 * a change is a new one. They live in TypeScript modules (not .sql files) so `tsc` carries them to dist/.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Throws unless versions are unique and increasing: a mistake here would skip or repeat a migration. */
export function checkMigrations(list: readonly Migration[]): readonly Migration[] {
  list.forEach((m, i) => {
    const prev = list[i - 1];
    if (prev !== undefined && m.version <= prev.version) {
      throw new Error(`migration ${m.version} (${m.name}) is out of order`);
    }
  });
  return list;
}
