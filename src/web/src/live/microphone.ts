import type { PcmFrameMessage } from './pcm-worklet';
import workletUrl from './pcm-worklet.ts?worker&url';

export interface MicrophoneOptions {
  /** PCM16 rate the frames are delivered at. */
  rate: number;
  frameMs: number;
  onFrame(pcm: Int16Array, rms: number): void;
}

export interface Microphone {
  /** Stops the track (the browser's recording indicator goes off) and closes the audio graph. */
  stop(): Promise<void>;
}

/** Something the person can act on: why the microphone could not be opened. */
export class MicrophoneError extends Error {}

/**
 * Opens the microphone and delivers PCM16 frames at `rate`. The context is asked for that rate so the
 * browser resamples; one that refuses (Firefox will not connect a microphone to a context of another
 * rate) gets a context at its own rate and the worklet resamples instead.
 */
export async function openMicrophone(opts: MicrophoneOptions): Promise<Microphone> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MicrophoneError('This page cannot use a microphone here: open it over https (or on localhost).');
  }
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
  } catch (err) {
    throw new MicrophoneError(describeMediaError(err));
  }
  try {
    const { context, source } = await sourceAt(stream, opts.rate);
    await context.audioWorklet.addModule(workletUrl);
    await context.resume(); // created after an await, the context may start suspended
    const node = new AudioWorkletNode(context, 'earshot-pcm', {
      numberOfInputs: 1,
      numberOfOutputs: 0,
      channelCount: 1,
      channelCountMode: 'explicit',
      processorOptions: { targetRate: opts.rate, frameMs: opts.frameMs },
    });
    node.port.onmessage = (e: MessageEvent<PcmFrameMessage>) => opts.onFrame(new Int16Array(e.data.pcm), e.data.rms);
    source.connect(node);
    return {
      async stop() {
        node.port.onmessage = null;
        source.disconnect();
        for (const track of stream.getTracks()) track.stop();
        await context.close();
      },
    };
  } catch (err) {
    for (const track of stream.getTracks()) track.stop();
    throw err instanceof MicrophoneError
      ? err
      : new MicrophoneError(`Could not process microphone audio: ${String(err)}`);
  }
}

async function sourceAt(
  stream: MediaStream,
  rate: number,
): Promise<{ context: AudioContext; source: MediaStreamAudioSourceNode }> {
  let wanted: AudioContext | null = null;
  try {
    wanted = new AudioContext({ sampleRate: rate, latencyHint: 'interactive' });
    return { context: wanted, source: wanted.createMediaStreamSource(stream) };
  } catch {
    // Either the rate itself or connecting a microphone to a context of another rate was refused.
    await wanted?.close().catch(() => {});
  }
  const native = new AudioContext({ latencyHint: 'interactive' });
  return { context: native, source: native.createMediaStreamSource(stream) };
}

function describeMediaError(err: unknown): string {
  const name = err instanceof DOMException ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return 'Microphone access was denied. Allow it for this site in the browser settings, then press Start again.';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No microphone was found on this device.';
  if (name === 'NotReadableError') return 'The microphone is in use by another application, or the system blocked it.';
  return `Could not open the microphone${err instanceof Error ? `: ${err.message}` : '.'}`;
}
