/*
 * earshot-ps-server: keeps one PocketSphinx decoder loaded and recognises length-prefixed PCM from
 * stdin, answering exactly one JSON line per request on stdout (so the caller stays in lockstep).
 *
 * Why a resident process rather than `pocketsphinx_continuous` per chunk: model load costs
 * ~0.5 s, which would dominate short chunks; and the stock CLI does its own endpointing, so its
 * output cannot be tied back to the chunk boundaries Earshot plans.
 *
 * Protocol (all little-endian). Every request starts with a uint32 header: its top byte is the
 * opcode, its low 24 bits a sample count (MAX_SAMPLES < 2^24, so a plain chunk request of the
 * original protocol is opcode 0 and reads exactly as before). Samples follow as int16 PCM
 * (16 kHz mono).
 *   op 0 CHUNK    count samples; count == 0 asks the server to exit. Decodes the chunk as one
 *                 utterance of its own stream (batch CMN) and replies
 *                 {"words":[["word",start_frame,end_frame,posterior],...],"frames":N}
 *                 frames are 10 ms. Fillers (<s>, <sil>, [NOISE]) are passed through; the caller
 *                 filters. An open streaming utterance is dropped first.
 *   op 1 BEGIN    count 0. Starts a streaming utterance (dropping an open one) -> {"ok":true}
 *   op 2 FEED     count 1..MAX_SAMPLES samples of the open utterance -> {"ok":true}
 *   op 3 PARTIAL  like FEED (count may be 0) -> {"partial":"best hypothesis so far"}
 *   op 4 END      count 0. Ends the utterance -> the CHUNK reply, frames counted from its start.
 *   op 5 ABANDON  count 0. Drops the open utterance, if any -> {"ok":true}
 *   A streaming request the state does not allow (FEED/PARTIAL/END without BEGIN, or audio beyond
 *   MAX_UTT_SAMPLES, which also drops the utterance) replies {"error":"..."} and the server goes on.
 *   A line {"ready":true} is written once the model is loaded.
 *   Every utterance (chunk or stream) starts from the same decoder state: a fresh stream
 *   (ps_start_stream) and, for streaming, a CMN mean from its own first 0.5 s (WARMUP_SAMPLES;
 *   PARTIAL answers "" until then), so a result never depends on what this process decoded before.
 *   Exit codes: 0 after an exit request or end of input; 2 bad arguments; 3 model load failed;
 *   4 length prefix over MAX_SAMPLES, unknown opcode or a count where none belongs; 5 out of
 *   memory; 6 decoder error. Errors go to stderr.
 * Arguments are passed to ps_init unchanged (-hmm, -lm, -dict, ...).
 */
#include <pocketsphinx.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#endif

/* 10 minutes of audio: no planned chunk is anywhere near this; it bounds a corrupt length prefix. */
#define MAX_SAMPLES (16000u * 600u)
/* 60 s: MAX_TURN_SECONDS in src/live/live-settings.ts. A live turn is committed there, so more
 * audio in one utterance means a caller bug; refusing it bounds the decoder's per-utterance state. */
#define MAX_UTT_SAMPLES (16000u * 60u)
/* Streaming CMN. PocketSphinx normalises streamed cepstra with a running mean that, for an
 * utterance under 8 s, stays the model's -cmninit value throughout, and the file engine's batch
 * mean (of the whole chunk) is unknowable while audio arrives. So the search of an utterance waits
 * for its first WARMUP_SAMPLES, whose mean becomes the starting estimate. Measured on the five
 * LibriVox clips (71 words; file engine 28.2% WER): -cmninit mean 33.8%, warm-up 0.25 s 38.0%,
 * 0.5 s 28.2%, 1 s 31.0-32.4%, 2 s 32.4%; carrying the mean over earlier utterances (a session's
 * adapted CMN) 31.0% but breaks determinism. The cost: no partial before 0.5 s of turn audio. */
#define WARMUP_SAMPLES 8000u

enum { OP_CHUNK = 0, OP_BEGIN = 1, OP_FEED = 2, OP_PARTIAL = 3, OP_END = 4, OP_ABANDON = 5 };

static int read_full(void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    size_t r = fread((char *)buf + got, 1, n - got, stdin);
    if (r == 0) return -1;
    got += r;
  }
  return 0;
}

static void write_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') putchar('\\');
    if ((unsigned char)*s < 0x20) continue;
    putchar(*s);
  }
  putchar('"');
}

static void reply_line(const char *line) {
  fputs(line, stdout);
  putchar('\n');
  fflush(stdout);
}

/* The words of the utterance just ended, frames counted from its first sample. */
static void reply_words(ps_decoder_t *ps, logmath_t *lmath) {
  printf("{\"words\":[");
  int first = 1;
  for (ps_seg_t *seg = ps_seg_iter(ps); seg != NULL; seg = ps_seg_next(seg)) {
    int sf, ef;
    int32 ascr, lscr, lback;
    ps_seg_frames(seg, &sf, &ef);
    int32 post = ps_seg_prob(seg, &ascr, &lscr, &lback);
    double p = logmath_exp(lmath, post);
    if (!first) putchar(',');
    first = 0;
    putchar('[');
    write_json_string(ps_seg_word(seg));
    printf(",%d,%d,%.4f]", sf, ef, p);
  }
  printf("],\"frames\":%d}\n", ps_get_n_frames(ps));
  fflush(stdout);
}

static void fail_decoder(void) {
  fprintf(stderr, "earshot-ps-server: decoding failed\n");
  exit(6);
}

/* Cepstral mean of `n` samples, computed with the decoder's own front end into `mean`; false (mean
 * untouched) when they make no frame. The front end's stream is restarted before and after so the
 * decoder's next stream starts clean. */
static int cepstral_mean(ps_decoder_t *ps, const int16_t *pcm, size_t n, mfcc_t *mean, int veclen) {
  fe_t *fe = ps_get_fe(ps);
  mfcc_t **cep = NULL;
  int32 nframes = 0;
  fe_start_stream(fe);
  if (fe_start_utt(fe) < 0 || fe_process_utt(fe, pcm, n, &cep, &nframes) < 0) fail_decoder();
  int32 tail = 0;
  mfcc_t *last = calloc((size_t)veclen, sizeof(mfcc_t));
  if (last == NULL) exit(5);
  fe_end_utt(fe, last, &tail);
  free(last);
  fe_start_stream(fe);
  if (nframes <= 0) {
    fe_free_2d(cep);
    return 0;
  }
  for (int j = 0; j < veclen; j++) {
    double sum = 0;
    for (int32 f = 0; f < nframes; f++) sum += cep[f][j];
    mean[j] = (mfcc_t)(sum / nframes);
  }
  fe_free_2d(cep);
  return 1;
}

int main(int argc, char *argv[]) {
#ifdef __linux__
  /* Die with the worker that started us, even while the model loads (seconds, not reading stdin, so
   * the closed pipe would go unnoticed until then). If the worker is already gone (it died between
   * fork and prctl), stop now: it told us its pid. */
  const char *parent = getenv("EARSHOT_PARENT_PID");
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && parent != NULL && atol(parent) != (long)getppid()) return 0;
#endif
  cmd_ln_t *config = cmd_ln_parse_r(NULL, ps_args(), argc, argv, TRUE);
  if (config == NULL) {
    fprintf(stderr, "earshot-ps-server: bad arguments\n");
    return 2;
  }
  ps_decoder_t *ps = ps_init(config);
  if (ps == NULL) {
    fprintf(stderr, "earshot-ps-server: failed to load the model\n");
    return 3;
  }
  logmath_t *lmath = ps_get_logmath(ps);
  /* Streaming (full_utt FALSE) makes sphinxbase switch the feature computer to live CMN for good
   * and move its running mean after every utterance. Both are set before each utterance: the
   * configured CMN type (batch for en-us) keeps chunk answers what they were, and a streamed
   * utterance starts from the mean of its own warm-up audio (the model's -cmninit mean if it has
   * none), so it decodes the same whatever came before (the StreamingRecognizer contract). */
  feat_t *feat = ps_get_feat(ps);
  const cmn_type_t configured_cmn = feat->cmn;
  const int veclen = feat->cmn_struct->veclen;
  mfcc_t *initial_mean = calloc((size_t)veclen, sizeof(mfcc_t));
  if (initial_mean == NULL) return 5;
  cmn_live_get(feat->cmn_struct, initial_mean);

  /* The warm-up buffer: the first WARMUP_SAMPLES of an utterance, from which its CMN mean is
   * estimated before any of it is searched. */
  const uint32_t warmup = WARMUP_SAMPLES;
  int16_t *warm = malloc((size_t)warmup * sizeof(int16_t));
  mfcc_t *mean = calloc((size_t)veclen, sizeof(mfcc_t));
  if (warm == NULL || mean == NULL) return 5;
  uint32_t warm_len = 0;

  int16_t *pcm = NULL;
  size_t cap = 0;
  int in_utt = 0;    /* a streaming utterance is open (BEGIN seen, no END/ABANDON yet) */
  int searching = 0; /* ...and its warm-up is over: the decoder's utterance is started */
  uint32_t utt_samples = 0;
  printf("{\"ready\":true}\n");
  fflush(stdout);

  for (;;) {
    uint32_t header;
    if (read_full(&header, sizeof header) != 0 || header == 0) break;
    uint32_t op = header >> 24, n = header & 0xFFFFFFu;
    if (n > MAX_SAMPLES) {
      fprintf(stderr, "earshot-ps-server: request of %u samples exceeds limit\n", n);
      return 4;
    }
    int carries_audio = op == OP_CHUNK || op == OP_FEED || op == OP_PARTIAL;
    if (op > OP_ABANDON || (!carries_audio && n != 0) || (op == OP_FEED && n == 0)) {
      fprintf(stderr, "earshot-ps-server: malformed request (opcode %u, %u samples)\n", op, n);
      return 4;
    }
    if (n > cap) {
      int16_t *grown = realloc(pcm, (size_t)n * sizeof(int16_t));
      if (grown == NULL) return 5;
      pcm = grown;
      cap = n;
    }
    if (n > 0 && read_full(pcm, (size_t)n * sizeof(int16_t)) != 0) break;

    if (op == OP_CHUNK || op == OP_BEGIN || op == OP_ABANDON) {
      if (searching && ps_end_utt(ps) < 0) fail_decoder();
      in_utt = searching = 0;
    }
    if ((op == OP_FEED || op == OP_PARTIAL || op == OP_END) && !in_utt) {
      reply_line("{\"error\":\"no utterance is open\"}");
      continue;
    }
    int start_now = 0;
    const int16_t *rest = pcm;
    uint32_t rest_n = n;
    switch (op) {
    case OP_CHUNK:
      /* A fresh stream per chunk: PocketSphinx otherwise carries the noise estimate and the frame
       * counter over from earlier chunks, so the same chunk would decode differently depending on
       * what this process decoded before (a retry or another pool instance would disagree). */
      feat->cmn = configured_cmn;
      if (ps_start_stream(ps) < 0 || ps_start_utt(ps) < 0 || ps_process_raw(ps, pcm, n, FALSE, TRUE) < 0 ||
          ps_end_utt(ps) < 0)
        fail_decoder();
      reply_words(ps, lmath);
      break;
    case OP_BEGIN:
      in_utt = 1;
      utt_samples = warm_len = 0;
      break;
    case OP_FEED:
    case OP_PARTIAL:
      if (n > MAX_UTT_SAMPLES - utt_samples) {
        if (searching && ps_end_utt(ps) < 0) fail_decoder();
        in_utt = searching = 0;
        reply_line("{\"error\":\"utterance longer than 60 s\"}");
        continue;
      }
      utt_samples += n;
      if (!searching) {
        uint32_t take = warmup - warm_len < n ? warmup - warm_len : n;
        memcpy(warm + warm_len, pcm, (size_t)take * sizeof(int16_t));
        warm_len += take;
        rest += take;
        rest_n -= take;
        if (warm_len == warmup) start_now = 1;
      }
      break;
    case OP_END:
      if (!searching) start_now = 1;
      break;
    }
    if (start_now) {
      /* The search starts once the warm-up audio is in (or the utterance ends sooner), with the
       * CMN mean of that audio: deterministic, and close to the batch mean the file engine uses. */
      memcpy(mean, initial_mean, (size_t)veclen * sizeof(mfcc_t));
      if (warm_len > 0) cepstral_mean(ps, warm, warm_len, mean, veclen);
      feat->cmn = configured_cmn;
      cmn_live_set(feat->cmn_struct, mean);
      if (ps_start_stream(ps) < 0 || ps_start_utt(ps) < 0) fail_decoder();
      if (warm_len > 0 && ps_process_raw(ps, warm, warm_len, FALSE, FALSE) < 0) fail_decoder();
      searching = 1;
    }
    switch (op) {
    case OP_BEGIN:
    case OP_ABANDON:
      reply_line("{\"ok\":true}");
      break;
    case OP_FEED:
    case OP_PARTIAL:
      if (searching && rest_n > 0 && ps_process_raw(ps, rest, rest_n, FALSE, FALSE) < 0) fail_decoder();
      if (op == OP_FEED) {
        reply_line("{\"ok\":true}");
      } else {
        int32 score;
        const char *hyp = searching ? ps_get_hyp(ps, &score) : NULL;
        printf("{\"partial\":");
        write_json_string(hyp == NULL ? "" : hyp);
        printf("}\n");
        fflush(stdout);
      }
      break;
    case OP_END:
      in_utt = searching = 0;
      if (ps_end_utt(ps) < 0) fail_decoder();
      reply_words(ps, lmath);
      break;
    }
  }
  free(pcm);
  free(warm);
  free(mean);
  free(initial_mean);
  ps_free(ps);
  cmd_ln_free_r(config);
  return 0;
}
