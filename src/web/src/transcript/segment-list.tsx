import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { Segment } from '../api/types';
import { memo } from '../lib/memo';
import { searchTerms } from '../lib/segments';
import { SegmentItem } from './segment-item';

/** A request to bring one segment into view; `seq` makes asking twice for the same one count. */
export interface ScrollTarget {
  index: number;
  seq: number;
}

interface Props {
  segments: readonly Segment[];
  activeIndex: number;
  activeWord: number;
  /** Keep the spoken segment in view (off while paused or editing, so reading or typing is not interrupted). */
  follow: boolean;
  query: string;
  matches: ReadonlySet<number>;
  currentMatch: number;
  /** The segment a link pointed at and the words to mark in it (-1 / empty for none). */
  linkedIndex: number;
  linkedTerms: readonly string[];
  edited: ReadonlySet<number>;
  editMode: boolean;
  editingIndex: number;
  editor: ComponentChildren | null;
  scrollTarget: ScrollTarget | null;
  onSeek(seconds: number): void;
  onEdit(index: number, word: number): void;
}

export const SegmentList = memo(function SegmentList(props: Props) {
  const { segments, activeIndex, activeWord, follow, query, matches, currentMatch } = props;
  const { linkedIndex, linkedTerms, edited, editMode, editingIndex, editor, scrollTarget, onSeek, onEdit } = props;
  const list = useRef<HTMLOListElement>(null);
  const terms = useMemo(() => searchTerms(query), [query]);
  const linkTerms = useMemo(
    () => (matches.has(linkedIndex) ? [...terms, ...linkedTerms] : linkedTerms),
    [matches, linkedIndex, terms, linkedTerms],
  );

  useEffect(() => {
    if (!follow || activeIndex < 0) return;
    scrollToSegment(list.current, activeIndex);
  }, [follow, activeIndex]);

  useEffect(() => {
    if (currentMatch >= 0) scrollToSegment(list.current, currentMatch);
  }, [currentMatch]);

  useEffect(() => {
    if (scrollTarget) scrollToSegment(list.current, scrollTarget.index);
  }, [scrollTarget]);

  return (
    <ol class="segments" ref={list} aria-label="Transcript" data-testid="segments">
      {segments.map((segment, i) => (
        <SegmentItem
          key={segment.start}
          segment={segment}
          index={i}
          active={i === activeIndex}
          activeWord={i === activeIndex ? activeWord : -1}
          terms={i === linkedIndex ? linkTerms : matches.has(i) ? terms : NO_TERMS}
          match={matches.has(i)}
          currentMatch={i === currentMatch}
          linked={i === linkedIndex}
          edited={edited.has(i)}
          editMode={editMode}
          editor={i === editingIndex ? editor : null}
          onSeek={onSeek}
          onEdit={onEdit}
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
