import { applyEdits } from '../../../core/transcript-edit.js';
import { canonicalTranscript } from '../../../formats/json.js';
import type { ListFilters } from '../lib/route';
import { ApiError, apiErrorFrom } from './errors';
import type {
  ArtifactKind,
  ArtifactState,
  DeleteResult,
  EditOperation,
  OutputFormat,
  RegisteredWorker,
  RevisionList,
  SearchResult,
  Task,
  TaskPage,
  TaskStatus,
  Transcript,
  TranscriptRevisionRead,
  TranscriptVariant,
  WorkerList,
} from './types';

export interface ListQuery extends ListFilters {
  status?: TaskStatus | undefined;
  limit: number;
  offset: number;
}

/** The instant a local day (YYYY-MM-DD) starts, `plusDays` later, as ISO (UTC). */
function localDayStart(day: string, plusDays: number): string {
  const [y = 0, m = 1, d = 1] = day.split('-').map(Number);
  return new Date(y, m - 1, d + plusDays).toISOString();
}

/** The most ids one bulk request takes (POST /v1/tasks/delete and /export). */
export const BULK_LIMIT = 100;

/**
 * The browser's view of the v1 API. `token` is null in single-user mode (EARSHOT_AUTH=none), where
 * no header or query token is sent at all.
 */
export class Api {
  constructor(
    readonly token: string | null,
    /** Called when the server rejects the token (revoked, or the server's users were reset). */
    readonly onUnauthorized: () => void = () => {},
  ) {}

  /** Headers for fetch and XHR; the only place the token is attached to a request. */
  authHeaders(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  /**
   * A URL for things that cannot send headers (EventSource, <audio>/<video>): the API accepts
   * `?access_token=` for its SSE routes, and the media element falls back to a blob when the media
   * route does not (see use-media-source.ts).
   */
  urlWithToken(path: string): string {
    if (!this.token) return path;
    const sep = path.includes('?') ? '&' : '?';
    return `${path}${sep}access_token=${encodeURIComponent(this.token)}`;
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(path, {
        ...init,
        headers: { Accept: 'application/json', ...this.authHeaders(), ...init.headers },
      });
    } catch (err) {
      throw new ApiError(0, 'network_error', err instanceof Error ? err.message : String(err));
    }
    if (!res.ok) {
      if (res.status === 401 && this.token) this.onUnauthorized();
      throw apiErrorFrom(res.status, await res.text(), res.headers.get('Retry-After'));
    }
    return res;
  }

  async json<T>(path: string, init?: RequestInit): Promise<T> {
    const res = await this.request(path, init);
    return (await res.json()) as T;
  }

  listTasks(query: ListQuery): Promise<TaskPage> {
    const params = new URLSearchParams({ limit: String(query.limit), offset: String(query.offset) });
    if (query.status) params.set('status', query.status);
    if (query.q) params.set('q', query.q);
    // A day picked in the browser is a local day: from its first instant there to the next day's
    // (the API's `to` is exclusive).
    if (query.from) params.set('from', localDayStart(query.from, 0));
    if (query.to) params.set('to', localDayStart(query.to, 1));
    if (query.sort) params.set('sort', query.sort);
    // The order the filter bar shows when the URL has none: newest first by date, A→Z otherwise.
    const order = query.order ?? (query.sort && query.sort !== 'created' ? 'asc' : undefined);
    if (order) params.set('order', order);
    return this.json<TaskPage>(`/v1/tasks?${params}`);
  }

  /** Gives a task a title (an empty one goes back to showing the file name). */
  rename(id: string, title: string | null): Promise<Task> {
    return this.json<Task>(`/v1/tasks/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title }),
    });
  }

  /** Deletes up to BULK_LIMIT tasks in one request. */
  removeMany(ids: string[]): Promise<DeleteResult> {
    return this.json<DeleteResult>('/v1/tasks/delete', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ids }),
    });
  }

  /** One zip of the transcripts of up to BULK_LIMIT tasks (409 not_ready when none is finished). */
  async exportMany(ids: string[], format: OutputFormat): Promise<Blob> {
    const res = await this.request('/v1/tasks/export', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/zip' },
      body: JSON.stringify({ ids, format }),
    });
    return res.blob();
  }

  /** Hits for `q` across every transcript, best first. */
  search(q: string, limit: number, offset: number): Promise<SearchResult> {
    const params = new URLSearchParams({ q, limit: String(limit), offset: String(offset) });
    return this.json<SearchResult>(`/v1/search?${params}`);
  }

  getTask(id: string): Promise<Task> {
    return this.json<Task>(`/v1/tasks/${encodeURIComponent(id)}`);
  }

  transcript(id: string, partial: boolean, variant: TranscriptVariant = 'machine'): Promise<Transcript> {
    const params = new URLSearchParams({ format: 'json' });
    if (partial) params.set('partial', 'true');
    if (variant !== 'machine') params.set('variant', variant);
    return this.json<Transcript>(`/v1/tasks/${encodeURIComponent(id)}/transcript?${params}`);
  }

  /** The newest revision of a finished transcript (or revision `revision`), with its ETag. */
  async transcriptRevision(id: string, revision?: number): Promise<TranscriptRevisionRead> {
    const params = new URLSearchParams({ format: 'json' });
    if (revision !== undefined) params.set('revision', String(revision));
    return readRevision(await this.request(`${transcriptPath(id)}?${params}`));
  }

  /**
   * Applies edits to the revision `etag` names, which is `base`. A 412 (`precondition_failed`) means
   * someone saved a newer revision first and nothing was changed. With both, the server is asked not
   * to send the new revision back (`Prefer: return=minimal`: an hour-long transcript is ~1 MB per
   * saved word): If-Match guarantees it applied these operations to `base`, and applying them here
   * with the server's own code gives the same transcript. Should that ever fail, it is read again.
   */
  async editTranscript(
    id: string,
    operations: EditOperation[],
    etag: string | null,
    base: Transcript | null,
  ): Promise<TranscriptRevisionRead> {
    const minimal = etag !== null && base !== null;
    const res = await this.request(transcriptPath(id), {
      method: 'PATCH',
      headers: {
        'Content-Type': 'application/json',
        ...ifMatch(etag),
        ...(minimal ? { Prefer: 'return=minimal' } : {}),
      },
      body: JSON.stringify({ operations }),
    });
    if (res.status !== 204 || !minimal) return readRevision(res);
    const newEtag = res.headers.get('ETag');
    const revision = revisionOf(newEtag);
    if (revision === revisionOf(etag) + 1) {
      try {
        return { transcript: canonicalTranscript(applyEdits(base, operations)), etag: newEtag, revision };
      } catch {
        // Fall through to reading it.
      }
    }
    return this.transcriptRevision(id);
  }

  /** Every revision of a transcript, oldest first, and which one is current. */
  revisions(id: string): Promise<RevisionList> {
    return this.json<RevisionList>(`${transcriptPath(id)}/revisions`);
  }

  /** Makes a new revision with the text of `revision` (412 as for editTranscript). */
  async revertTranscript(id: string, revision: number, etag: string | null): Promise<TranscriptRevisionRead> {
    const res = await this.request(`${transcriptPath(id)}/revert`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...ifMatch(etag) },
      body: JSON.stringify({ revision }),
    });
    return readRevision(res);
  }

  async transcriptBlob(id: string, format: OutputFormat, variant: TranscriptVariant = 'machine'): Promise<Blob> {
    const params = new URLSearchParams({ format, download: '1' });
    if (variant !== 'machine') params.set('variant', variant);
    const res = await this.request(`/v1/tasks/${encodeURIComponent(id)}/transcript?${params}`, {
      headers: { Accept: '*/*' },
    });
    return res.blob();
  }

  /** A summary's or polish's state (404 when none was requested). */
  artifact(id: string, kind: ArtifactKind): Promise<ArtifactState> {
    return this.json<ArtifactState>(`/v1/tasks/${encodeURIComponent(id)}/${kind}`);
  }

  /** Asks for a summary or polish of a succeeded task (a failed one is queued again). */
  requestArtifact(id: string, kind: ArtifactKind): Promise<ArtifactState> {
    return this.json<ArtifactState>(`/v1/tasks/${encodeURIComponent(id)}/${kind}`, { method: 'POST' });
  }

  cancel(id: string): Promise<Task> {
    return this.json<Task>(`/v1/tasks/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
  }

  retry(id: string): Promise<Task> {
    return this.json<Task>(`/v1/tasks/${encodeURIComponent(id)}/retry`, { method: 'POST' });
  }

  async remove(id: string): Promise<void> {
    await this.request(`/v1/tasks/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** Every registered worker, on every host (admins only: 403 otherwise). */
  workers(): Promise<WorkerList> {
    return this.json<WorkerList>('/v1/admin/workers');
  }

  /** Asks a worker to drain (claim nothing new, finish, exit); `false` lifts a drain not yet finished. */
  drainWorker(id: string, drain = true): Promise<RegisteredWorker> {
    const action = drain ? 'drain' : 'undrain';
    return this.json<RegisteredWorker>(`/v1/admin/workers/${encodeURIComponent(id)}/${action}`, { method: 'POST' });
  }

  mediaPath(id: string): string {
    return `/v1/tasks/${encodeURIComponent(id)}/media`;
  }

  async mediaBlob(id: string): Promise<Blob> {
    const res = await this.request(this.mediaPath(id), { headers: { Accept: '*/*' } });
    return res.blob();
  }
}

function transcriptPath(id: string): string {
  return `/v1/tasks/${encodeURIComponent(id)}/transcript`;
}

function ifMatch(etag: string | null): Record<string, string> {
  return etag ? { 'If-Match': etag } : {};
}

/** `"r12"` (or a weak `W/"r12"`) → 12; 0 when there is no such tag (a server without revisions). */
export function revisionOf(etag: string | null): number {
  const m = /"r(\d+)"/.exec(etag ?? '');
  return m?.[1] ? Number(m[1]) : 0;
}

async function readRevision(res: Response): Promise<TranscriptRevisionRead> {
  const etag = res.headers.get('ETag');
  return { transcript: (await res.json()) as Transcript, etag, revision: revisionOf(etag) };
}
