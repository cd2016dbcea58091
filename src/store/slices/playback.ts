/**
 * The playback slice: the cursor in the step list, play/pause, speed, and the step list
 * itself (built when playback starts, rebuilt after every run while it lasts).
 */
import { buildTimeline, type Timeline, viewAt } from '../timeline';
import type { View } from '../view';
import type { Evaluated } from './evaluation';
import type { GetState, SetState } from './types';

/** Playback speeds, as multiples of the default pace (one step every STEP_MS). */
export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8] as const;
export const STEP_MS = 1000;

export interface PlaybackSlice {
  /** Steps taken in playback (0 = reset); null when not playing back (everything shown). */
  readonly cursor: number | null;
  readonly playing: boolean;
  readonly speed: number;
  /** The step list with its index; built when playback starts, rebuilt on every run. */
  readonly timeline: Timeline | null;

  /** Playback: go to step `cursor` (clamped), entering playback if needed. */
  seek(cursor: number): void;
  resetPlayback(): void;
  stepForward(): void;
  stepBack(): void;
  toEnd(): void;
  play(): void;
  pause(): void;
  togglePlay(): void;
  setSpeed(speed: number): void;
  /** Leave playback: every number shows again. */
  exitPlayback(): void;
}

type PlaybackState = Pick<PlaybackSlice, 'cursor' | 'playing' | 'speed' | 'timeline'>;

/**
 * The playback state and view after a new run: during playback the step list follows the new
 * numbers and the cursor stays where it was (clamped, if the circuit got shorter); otherwise
 * the live view.
 */
export function playbackAfterRun(
  state: PlaybackState,
  evaluated: Evaluated,
): Pick<PlaybackSlice, 'cursor' | 'timeline' | 'playing'> & { view: View } {
  if (state.cursor === null) {
    return { view: evaluated.liveView, timeline: null, cursor: null, playing: false };
  }
  const timeline = buildTimeline(evaluated.evaluation);
  const cursor = Math.min(state.cursor, timeline.steps.length);
  return {
    timeline,
    cursor,
    playing: state.playing,
    view: viewAt(evaluated.liveView, timeline, cursor),
  };
}

export function createPlaybackSlice(set: SetState, get: GetState): PlaybackSlice {
  const total = () => {
    const t = get().timeline;
    return t ? t.steps.length : 0;
  };
  /** Enters playback if needed (building the step list) and moves the cursor. */
  const moveTo = (cursor: number, extra: Partial<PlaybackState> = {}) => {
    const state = get();
    const timeline = state.timeline ?? buildTimeline(state.evaluation);
    const clamped = Math.max(0, Math.min(cursor, timeline.steps.length));
    set({ timeline, cursor: clamped, view: viewAt(state.liveView, timeline, clamped), ...extra });
  };

  return {
    cursor: null,
    playing: false,
    speed: 1,
    timeline: null,

    seek(cursor) {
      moveTo(cursor);
    },

    resetPlayback() {
      moveTo(0, { playing: false });
    },

    stepForward() {
      const { cursor } = get();
      // From the live view, stepping starts a fresh pass.
      moveTo(cursor === null ? 1 : cursor + 1, { playing: false });
    },

    stepBack() {
      const { cursor } = get();
      if (cursor === null) {
        moveTo(Number.MAX_SAFE_INTEGER);
        moveTo(total() - 1, { playing: false });
      } else {
        moveTo(cursor - 1, { playing: false });
      }
    },

    toEnd() {
      moveTo(Number.MAX_SAFE_INTEGER, { playing: false });
    },

    play() {
      const { cursor } = get();
      // Playing from the live view or from the end starts over.
      if (cursor === null || cursor >= total()) moveTo(0, { playing: true });
      else set({ playing: true });
    },

    pause() {
      set({ playing: false });
    },

    togglePlay() {
      if (get().playing) get().pause();
      else get().play();
    },

    setSpeed(speed) {
      set({ speed });
    },

    exitPlayback() {
      set({ cursor: null, playing: false, timeline: null, view: get().liveView });
    },
  };
}
