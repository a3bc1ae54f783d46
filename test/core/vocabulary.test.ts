import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  END_EVENT_OF,
  endsTask,
  GONE_STREAM_EVENTS,
  STREAM_EVENT_OF,
  TASK_END_STATUS,
  TASK_EVENT_TYPES,
  TASK_VIEW_STREAM_EVENTS,
} from '../../src/core/event.js';
import { TERMINAL_STATUSES } from '../../src/core/task.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Relative imports of a module, resolved to .ts files (`./x.js` is `./x.ts` on disk). */
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1] as string);
}

describe('task and event vocabulary', () => {
  it('every terminal status is reached by exactly one end event, and END_EVENT_OF reads TASK_END_STATUS backwards', () => {
    for (const status of TERMINAL_STATUSES) expect(TASK_END_STATUS[END_EVENT_OF[status]]).toBe(status);
    expect(Object.keys(END_EVENT_OF).sort()).toEqual([...TERMINAL_STATUSES].sort());
    expect(TASK_EVENT_TYPES.filter(endsTask)).toEqual(['done', 'error', 'cancelled', 'deleted']);
  });

  it('every stream event kind is either a task view or a gone notice, or a segment, or an artifact', () => {
    const kinds = new Set(TASK_EVENT_TYPES.map((t) => STREAM_EVENT_OF[t]));
    expect([...kinds].sort()).toEqual(
      [...TASK_VIEW_STREAM_EVENTS, ...GONE_STREAM_EVENTS, 'segment', 'artifact'].sort(),
    );
  });

  it('the core modules the web UI imports are browser-safe: no Node built-ins, no packages', () => {
    const seen = new Set<string>();
    const queue = ['src/web/src/api/types.ts', 'src/web/src/api/event-stream.ts'].map((f) => path.join(root, f));
    const fromWeb = new Set<string>();
    while (queue.length > 0) {
      const file = queue.pop() as string;
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
        if (!target.includes(`${path.sep}src${path.sep}core${path.sep}`) || seen.has(target)) continue;
        seen.add(target);
        fromWeb.add(target);
        queue.push(target);
      }
    }
    expect([...fromWeb].map((f) => path.relative(root, f)).sort()).toEqual([
      'src/core/artifact.ts',
      'src/core/event.ts',
      'src/core/task.ts',
      'src/core/transcript.ts',
      'src/core/worker-registration.ts',
    ]);
    for (const file of fromWeb) {
      expect(
        importsOf(file).filter((spec) => !spec.startsWith('.')),
        file,
      ).toEqual([]);
    }
  });
});
