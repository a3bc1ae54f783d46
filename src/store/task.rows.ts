import type { Artifact, ArtifactKind, ArtifactStage, ArtifactStatus } from '../core/artifact.js';
import { TASK_EVENT_TYPES, type TaskEvent, type TaskEventType } from '../core/event.js';
import type { Task, TaskOptions, TaskStage, TaskStatus } from '../core/task.js';
import type { Segment } from '../core/transcript.js';
import type { Role, User } from '../core/user.js';
import type { WebhookDelivery, WebhookDeliveryStatus, WebhookEventType } from '../core/webhook.js';
import type { ChunkRow } from './task.store.js';

/**
 * Row -> domain mapping shared by both adapters. Column names are the same in both dialects; the
 * value types are not: PostgreSQL returns BIGINT as strings and parses jsonb itself, SQLite returns
 * numbers and JSON text. These helpers accept either.
 */
export type Row = Record<string, unknown>;

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' || typeof v === 'bigint') return Number(v);
  throw new TypeError(`expected a number, got ${typeof v}`);
}

function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

function str(v: unknown): string {
  if (typeof v !== 'string') throw new TypeError(`expected a string, got ${typeof v}`);
  return v;
}

function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : str(v);
}

function json<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

export function taskFromRow(r: Row): Task {
  return {
    id: str(r.id),
    userId: str(r.user_id),
    status: str(r.status) as TaskStatus,
    stage: str(r.stage) as TaskStage,
    priority: num(r.priority),
    sourceName: str(r.source_name),
    mediaPath: str(r.media_path),
    mediaBytes: num(r.media_bytes),
    options: json<TaskOptions>(r.options),
    callbackUrl: strOrNull(r.callback_url),
    attempts: num(r.attempts),
    maxAttempts: num(r.max_attempts),
    runAt: num(r.run_at),
    durationSeconds: numOrNull(r.duration_seconds),
    doneSeconds: num(r.done_seconds),
    speed: numOrNull(r.speed),
    errorCode: strOrNull(r.error_code),
    errorMessage: strOrNull(r.error_message),
    leaseOwner: strOrNull(r.lease_owner),
    leaseExpiresAt: numOrNull(r.lease_expires_at),
    createdAt: num(r.created_at),
    startedAt: numOrNull(r.started_at),
    finishedAt: numOrNull(r.finished_at),
    updatedAt: num(r.updated_at),
    title: strOrNull(r.title),
    wordCount: numOrNull(r.word_count),
  };
}

export function userFromRow(r: Row): User {
  return { id: str(r.id), name: str(r.name), role: str(r.role) as Role, createdAt: num(r.created_at) };
}

function eventType(v: unknown): TaskEventType {
  const type = str(v);
  if (!(TASK_EVENT_TYPES as readonly string[]).includes(type)) throw new TypeError(`unknown event type "${type}"`);
  return type as TaskEventType;
}

/** The payload is trusted to match its type: both were written together by one transition. */
export function eventFromRow(r: Row): TaskEvent {
  return {
    seq: num(r.seq),
    taskId: str(r.task_id),
    userId: str(r.user_id),
    type: eventType(r.type),
    data: json<TaskEvent['data']>(r.data),
    createdAt: num(r.created_at),
  } as TaskEvent;
}

export function chunkFromRow(r: Row): ChunkRow {
  const index = num(r.idx);
  const startSample = num(r.start_sample);
  const endSample = num(r.end_sample);
  const checkpoint =
    r.segments === null || r.segments === undefined
      ? null
      : { index, startSample, endSample, segments: json<Segment[]>(r.segments), attempt: num(r.attempt) };
  return { index, startSample, endSample, checkpoint };
}

export function artifactFromRow(r: Row): Artifact {
  return {
    taskId: str(r.task_id),
    kind: str(r.kind) as ArtifactKind,
    status: str(r.status) as ArtifactStatus,
    stage: str(r.stage) as ArtifactStage,
    doneWindows: num(r.done_windows),
    totalWindows: num(r.total_windows),
    attempts: num(r.attempts),
    maxAttempts: num(r.max_attempts),
    runAt: num(r.run_at),
    errorCode: strOrNull(r.error_code),
    errorMessage: strOrNull(r.error_message),
    leaseOwner: strOrNull(r.lease_owner),
    leaseExpiresAt: numOrNull(r.lease_expires_at),
    createdAt: num(r.created_at),
    startedAt: numOrNull(r.started_at),
    finishedAt: numOrNull(r.finished_at),
    updatedAt: num(r.updated_at),
    revision: numOrNull(r.revision),
  };
}

/** A stored artifact result: JSON text (SQLite) or parsed jsonb (PostgreSQL). */
export function artifactResultFromRow<T>(r: Row): T {
  return json<T>(r.json);
}

export function webhookDeliveryFromRow(r: Row): WebhookDelivery {
  return {
    id: str(r.id),
    taskId: str(r.task_id),
    userId: str(r.user_id),
    eventType: str(r.event_type) as WebhookEventType,
    url: str(r.url),
    status: str(r.status) as WebhookDeliveryStatus,
    attempts: num(r.attempts),
    runAt: num(r.run_at),
    leaseOwner: strOrNull(r.lease_owner),
    leaseExpiresAt: numOrNull(r.lease_expires_at),
    lastHttpStatus: numOrNull(r.last_http_status),
    lastError: strOrNull(r.last_error),
    createdAt: num(r.created_at),
    lastAttemptAt: numOrNull(r.last_attempt_at),
    finishedAt: numOrNull(r.finished_at),
    updatedAt: num(r.updated_at),
  };
}
