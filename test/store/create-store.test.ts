import { describe, expect, it } from 'vitest';
import { parseStoreUrl } from '../../src/store/create-store.js';

describe('parseStoreUrl', () => {
  it('reads SQLite locations', () => {
    expect(parseStoreUrl('sqlite:///var/lib/earshot/earshot.db')).toEqual({
      kind: 'sqlite',
      path: '/var/lib/earshot/earshot.db',
    });
    expect(parseStoreUrl('sqlite:data/earshot.db')).toEqual({ kind: 'sqlite', path: 'data/earshot.db' });
    expect(parseStoreUrl('file:///tmp/a%20b.db')).toEqual({ kind: 'sqlite', path: '/tmp/a b.db' });
    expect(parseStoreUrl('/abs/earshot.db')).toEqual({ kind: 'sqlite', path: '/abs/earshot.db' });
    expect(parseStoreUrl('./data/earshot.db')).toEqual({ kind: 'sqlite', path: './data/earshot.db' });
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
  });

  it('reads PostgreSQL URLs and takes the schema out of the connection string', () => {
    expect(parseStoreUrl('postgres://u:p@db:5432/earshot?schema=prod&sslmode=require')).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u:p@db:5432/earshot?sslmode=require',
      schema: 'prod',
    });
    expect(parseStoreUrl('postgresql://db/earshot')).toEqual({
      kind: 'postgres',
      connectionString: 'postgresql://db/earshot',
      schema: undefined,
    });
  });
});
