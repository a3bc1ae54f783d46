import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { Segment } from '../api/types';
import { searchTerms, segmentAt } from '../lib/segments';

export interface LinkTarget {
  /** The segment the link points at, -1 without a link (or before the text is there). */
  linkedIndex: number;
  /** The link's words, to mark in that segment. */
  linkedTerms: readonly string[];
}

/**
 * A link into a transcript (`#/tasks/:id?t=SECONDS&hl=WORDS`, as search results make): the player
 * goes to `at` without playing, as soon as it knows the recording; the segment there is scrolled to
 * once its text is shown, and marked with the words of `highlight`.
 */
export function useLinkTarget(
  media: HTMLMediaElement | null,
  mediaSrc: string | null,
  segments: readonly Segment[],
  at: number | undefined,
  highlight: string | undefined,
  scrollTo: (index: number) => void,
): LinkTarget {
  const linkedIndex = at === undefined ? -1 : segmentAt(segments, at);
  const linkedTerms = useMemo(() => searchTerms(highlight ?? ''), [highlight]);

  // A new source (the Blob fallback) starts at 0 again, so the seek is redone for it.
  useEffect(() => {
    if (at === undefined || !media) return undefined;
    const go = () => {
      media.currentTime = at;
    };
    if (media.readyState >= 1) {
      go();
      return undefined;
    }
    media.addEventListener('loadedmetadata', go, { once: true });
    return () => media.removeEventListener('loadedmetadata', go);
  }, [media, mediaSrc, at]);

  // Once per link: later edits that move segments around must not scroll the list back there.
  const shown = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (linkedIndex < 0 || shown.current === at) return;
    shown.current = at;
    scrollTo(linkedIndex);
  }, [linkedIndex, at, scrollTo]);

  return { linkedIndex, linkedTerms };
}
