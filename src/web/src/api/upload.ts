import type { Api } from './client';
import { ApiError, apiErrorFrom } from './errors';
import { ARTIFACT_KINDS, type ArtifactKind, type OutputFormat, type Task } from './types';

export interface UploadOptions {
  language: string;
  formats: OutputFormat[];
  /** The summary and polish to make once the transcript is done (sent only when on). */
  summary: boolean;
  polish: boolean;
}

/** The post-processing an upload asks for. */
export function requestedKinds(options: Pick<UploadOptions, ArtifactKind>): ArtifactKind[] {
  return ARTIFACT_KINDS.filter((kind) => options[kind]);
}

export interface UploadHandle {
  done: Promise<Task>;
  abort: () => void;
}

/**
 * Sends one file as multipart to POST /v1/tasks. XMLHttpRequest, not fetch: only XHR reports upload
 * progress. The option fields go before the file part because the server streams the file to disk
 * and reads the fields it has seen by then.
 */
export function uploadFile(
  api: Api,
  file: File,
  options: UploadOptions,
  onProgress: (loaded: number, total: number) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Task>((resolve, reject) => {
    const form = new FormData();
    if (options.language) form.append('language', options.language);
    if (options.formats.length > 0) form.append('formats', options.formats.join(','));
    for (const kind of requestedKinds(options)) form.append(kind, 'true');
    form.append('file', file, file.name);

    xhr.open('POST', '/v1/tasks');
    xhr.setRequestHeader('Accept', 'application/json');
    for (const [name, value] of Object.entries(api.authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (e) => {
      onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          const body = JSON.parse(xhr.responseText) as Task | { task: Task };
          resolve('task' in body ? body.task : body);
        } catch {
          reject(new ApiError(xhr.status, 'bad_response', 'The server sent an unreadable answer.'));
        }
        return;
      }
      if (xhr.status === 401 && api.token) api.onUnauthorized();
      reject(apiErrorFrom(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After')));
    });
    // A server that rejects early (413 before the body is read) may reset the connection instead of
    // answering; the browser reports that as a network error with status 0.
    xhr.addEventListener('error', () => {
      reject(new ApiError(0, 'upload_interrupted', 'The upload was interrupted.'));
    });
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'Upload cancelled.')));
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
