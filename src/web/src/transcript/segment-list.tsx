import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { Segment } from '../api/types';
import { memo } from '../lib/memo';
import { searchTerms } from '../lib/segments';
import { SegmentItem } from './segment-item';

interface Props {
  segments: readonly Segment[];
  activeIndex: number;
  activeWord: number;
  /** Keep the spoken segment in view (off while paused, so reading ahead is not interrupted). */
  follow: boolean;
  query: string;
  matches: ReadonlySet<number>;
  currentMatch: number;
  onSeek(seconds: number): void;
}

export const SegmentList = memo(function SegmentList(props: Props) {
  const { segments, activeIndex, activeWord, follow, query, matches, currentMatch, onSeek } = props;
  const list = useRef<HTMLOListElement>(null);
  const terms = useMemo(() => searchTerms(query), [query]);

  useEffect(() => {
    if (!follow || activeIndex < 0) return;
    scrollToSegment(list.current, activeIndex);
  }, [follow, activeIndex]);

  useEffect(() => {
    if (currentMatch >= 0) scrollToSegment(list.current, currentMatch);
  }, [currentMatch]);

  return (
    <ol class="segments" ref={list} aria-label="Transcript" data-testid="segments">
      {segments.map((segment, i) => (
        <SegmentItem
          key={segment.start}
          segment={segment}
          index={i}
          active={i === activeIndex}
          activeWord={i === activeIndex ? activeWord : -1}
          terms={matches.has(i) ? terms : NO_TERMS}
          match={matches.has(i)}
          currentMatch={i === currentMatch}
          onSeek={onSeek}
        />
      ))}
    </ol>
  );
});

const NO_TERMS: readonly string[] = [];

function scrollToSegment(list: HTMLOListElement | null, index: number): void {
  const item = list?.querySelector(`#segment-${index}`);
  if (!item) return;
  const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  item.scrollIntoView({ block: 'nearest', behavior: reduce ? 'auto' : 'smooth' });
}
