import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { POLISH_PROMPT } from '../../src/postprocess/polish.js';
import { MAP_PROMPT, REDUCE_PROMPT } from '../../src/postprocess/summarise.js';
import { estimateTokens } from '../../src/postprocess/tokens.js';

/**
 * A loopback server speaking the OpenAI chat-completions protocol (plain JSON and SSE streams),
 * with a deterministic "model" whose answers are computed from the request, so tests can check
 * what Earshot sent and did with the answers. It verifies the protocol and Earshot's handling of
 * it, never a real model's output.
 *
 * The model: a polish request gets every segment back with its first letter upper-cased and a
 * full stop added; a map request gets `{"summary": "<n> words from <first> to <last>", ...}`;
 * a reduce request gets `combined <k> parts covering <sum of n> words`, so the final summary of a
 * correct map -> reduce states the transcript's word count.
 */

/** What the next request gets instead of a good answer; faults are used up in order. */
export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string }
  /** Accepts the request and never answers (a hung server). */
  | { kind: 'hang' }
  /** Streams part of the answer, then drops the connection. */
  | { kind: 'cut' }
  /** Streams part of the answer, then ends the response cleanly without a finish reason. */
  | { kind: 'end-early' }
  /** Streams the answer slowly: one piece every `gapMs`. */
  | { kind: 'slow'; gapMs: number }
  /** Answers with unusable text. */
  | { kind: 'garbage'; text: string };

export type RequestKind = 'polish' | 'map' | 'reduce' | 'unknown';

export interface SeenRequest {
  kind: RequestKind;
  stream: boolean;
  model: string;
  maxTokens: number | undefined;
  system: string;
  user: string;
  /** estimateTokens of both messages' content. */
  tokens: number;
  authorization: string | undefined;
  fault: Fault | null;
}

export class FakeLlm {
  readonly requests: SeenRequest[] = [];
  /** Applied to the next requests, one each; then the model answers normally. */
  faults: Fault[] = [];
  /** Applied to every request once `faults` is used up (e.g. a server that is down for good). */
  always: Fault | null = null;
  /** Polish answers drop these segment ids (a model that skips segments). */
  dropIds = new Set<number>();
  private readonly server: http.Server;
  private readonly open = new Set<http.ServerResponse>();

  private constructor() {
    this.server = http.createServer((req, res) => {
      this.open.add(res);
      res.on('close', () => this.open.delete(res));
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => {
        body += d;
      });
      req.on('end', () => this.answer(req, res, body));
    });
  }

  static async start(): Promise<FakeLlm> {
    const fake = new FakeLlm();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  kinds(): RequestKind[] {
    return this.requests.map((r) => r.kind);
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(raw) as {
      model: string;
      stream?: boolean;
      max_tokens?: number;
      messages: Array<{ role: string; content: string }>;
    };
    const system = body.messages.find((m) => m.role === 'system')?.content ?? '';
    const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
    const kind: RequestKind =
      system === POLISH_PROMPT
        ? 'polish'
        : system === REDUCE_PROMPT
          ? 'reduce'
          : system === MAP_PROMPT('one part') || system === MAP_PROMPT('the whole')
            ? 'map'
            : 'unknown';
    const fault = this.faults.shift() ?? this.always;
    this.requests.push({
      kind,
      stream: body.stream === true,
      model: body.model,
      maxTokens: body.max_tokens,
      system,
      user,
      tokens: estimateTokens(system) + estimateTokens(user),
      authorization: req.headers.authorization,
      fault,
    });
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, {
        'content-type': 'application/json',
        ...(fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }),
      });
      res.end(JSON.stringify({ error: { message: `fake failure ${fault.status}`, type: 'server_error' } }));
      return;
    }
    const text = fault?.kind === 'garbage' ? fault.text : this.model(kind, user);
    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(completion(body.model, text)));
      return;
    }
    this.stream(res, body.model, text, fault);
  }

  private stream(res: http.ServerResponse, model: string, text: string, fault: Fault | null): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const pieces = text.match(/[\s\S]{1,40}/g) ?? [''];
    const send = (delta: object, finish: string | null): void => {
      res.write(`data: ${JSON.stringify(chunk(model, delta, finish))}\n\n`);
    };
    if (fault?.kind === 'cut' || fault?.kind === 'end-early') {
      send({ role: 'assistant', content: pieces[0] }, null);
      // Let the first piece reach the client before the connection goes.
      setTimeout(() => (fault.kind === 'cut' ? res.destroy() : res.end()), 20);
      return;
    }
    if (fault?.kind === 'slow') {
      let i = 0;
      const next = (): void => {
        if (res.destroyed) return;
        if (i < pieces.length) {
          send({ content: pieces[i++] }, null);
          setTimeout(next, fault.gapMs);
        } else {
          send({}, 'stop');
          res.end('data: [DONE]\n\n');
        }
      };
      next();
      return;
    }
    send({ role: 'assistant', content: '' }, null);
    for (const p of pieces) send({ content: p }, null);
    send({}, 'stop');
    res.end('data: [DONE]\n\n');
  }

  /** The deterministic "model". */
  private model(kind: RequestKind, user: string): string {
    if (kind === 'polish') {
      const segments = (JSON.parse(user) as Array<{ id: number; text: string }>)
        .filter((s) => !this.dropIds.has(s.id))
        .map((s) => ({ id: s.id, text: polishText(s.text) }));
      return `Here you are:\n\`\`\`json\n${JSON.stringify({ segments })}\n\`\`\``;
    }
    if (kind === 'map') {
      const words = user.split(/\s+/).filter((w) => w !== '');
      return JSON.stringify({
        summary: `${words.length} words from ${words[0]} to ${words.at(-1)}`,
        key_points: [`starts with ${words[0]}`],
      });
    }
    if (kind === 'reduce') {
      const parts = [...user.matchAll(/^Part \d+:\n(?:combined \d+ parts covering )?(\d+) words/gm)];
      const total = parts.reduce((n, m) => n + Number(m[1]), 0);
      return JSON.stringify({ summary: `combined ${parts.length} parts covering ${total} words`, key_points: [] });
    }
    return 'I do not know this prompt.';
  }
}

/** What the fake model does to a segment's text. */
export function polishText(text: string): string {
  const t = text.trim();
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}.`;
}

function completion(model: string, text: string): object {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
  };
}

function chunk(model: string, delta: object, finish: string | null): object {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}
