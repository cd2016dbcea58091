import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  COMMANDS,
  command,
  commandLabel,
  commandTitle,
  describeCombo,
  isMac,
  matches,
  shortcutHint,
} from '../../src/ui/commands';

function onPlatform(platform: string, userAgentData?: { platform: string }) {
  vi.stubGlobal('navigator', { platform, userAgentData });
}

afterEach(() => vi.unstubAllGlobals());

describe('shortcut hints', () => {
  it('say Ctrl on Windows and Linux', () => {
    onPlatform('Win32');
    expect(isMac()).toBe(false);
    expect(shortcutHint('undo')).toBe('Ctrl+Z');
    expect(shortcutHint('redo')).toBe('Ctrl+Shift+Z');
    expect(commandTitle('undo')).toBe('Undo (Ctrl+Z)');
    onPlatform('Linux x86_64');
    expect(shortcutHint('theme')).toBe('Shift+D');
  });

  it('say ⌘ and ⇧ on a Mac, read from navigator.platform', () => {
    onPlatform('MacIntel');
    expect(isMac()).toBe(true);
    expect(shortcutHint('undo')).toBe('⌘Z');
    expect(shortcutHint('redo')).toBe('⌘⇧Z');
    expect(commandTitle('redo')).toBe('Redo (⌘⇧Z)');
  });

  it('prefer navigator.userAgentData where there is one', () => {
    onPlatform('', { platform: 'macOS' });
    expect(shortcutHint('copy')).toBe('⌘C');
    onPlatform('MacIntel', { platform: 'Windows' });
    expect(shortcutHint('copy')).toBe('Ctrl+C');
  });

  it('match ⌘ on a Mac and Ctrl elsewhere', () => {
    const z = command('undo').keys[0];
    onPlatform('MacIntel');
    expect(
      matches(z, {
        key: 'z',
        metaKey: true,
        ctrlKey: false,
        shiftKey: false,
        altKey: false,
      } as KeyboardEvent),
    ).toBe(true);
    expect(
      matches(z, {
        key: 'z',
        metaKey: false,
        ctrlKey: true,
        shiftKey: false,
        altKey: false,
      } as KeyboardEvent),
    ).toBe(false);
    onPlatform('Win32');
    expect(
      matches(z, {
        key: 'z',
        metaKey: false,
        ctrlKey: true,
        shiftKey: false,
        altKey: false,
      } as KeyboardEvent),
    ).toBe(true);
  });

  it('are empty for a command without keys, and plain keys read the same everywhere', () => {
    onPlatform('MacIntel');
    expect(shortcutHint('new')).toBe('');
    expect(commandTitle('new')).toBe(command('new').label);
    expect(describeCombo({ key: 't' })).toBe('T');
    expect(describeCombo({ key: ' ' })).toBe('Space');
  });
});

describe('the command list', () => {
  it('has one command per id, and the menus find theirs by id', () => {
    const ids = COMMANDS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(commandLabel('tidy')).toBe('Tidy up');
    expect(commandLabel('undo')).toBe('Undo');
    expect(() => command('no-such-command')).toThrow(/no-such-command/);
  });
});
