import { type ReactNode, useCallback, useEffect, useId, useRef, useState } from 'react';

/** One entry of a menu: a command's label and key, what it does, and its state. */
export interface MenuEntry {
  readonly key: string;
  readonly label: string;
  /** The shortcut, as the user types it here ("⌘Z", "Ctrl+Z"). */
  readonly hint?: string;
  /** A toggle (dark mode, a panel): announced and drawn as checked or not. */
  readonly checked?: boolean;
  readonly disabled?: boolean;
  onSelect(): void;
}

export interface MenuSection {
  /** Shown above the section's entries and read as the name of their group. */
  readonly label?: string;
  readonly entries: readonly MenuEntry[];
}

/**
 * A menu button and its menu (the ARIA menu pattern): Enter, Space or ↓ opens it on its first
 * entry, ↑ on its last; ↑/↓, Home and End move between entries; Escape or Tab closes it and
 * gives the focus back to the button; a tap outside closes it.
 */
export function Menu({
  label,
  button,
  sections,
  className = '',
}: {
  /** The accessible name of the button ("More", "View"). */
  label: string;
  /** What the button shows. */
  button: ReactNode;
  sections: readonly MenuSection[];
  className?: string;
}) {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  /** Which entry to focus once the menu is drawn: the first, the last, or none. */
  const focusOnOpen = useRef<'first' | 'last'>('first');
  const id = useId();

  const items = () => menuItems(menuRef.current);

  const close = useCallback((returnFocus: boolean) => {
    setOpen(false);
    if (returnFocus) buttonRef.current?.focus();
  }, []);

  useEffect(() => {
    if (!open) return undefined;
    const list = menuItems(menuRef.current);
    (focusOnOpen.current === 'last' ? list[list.length - 1] : list[0])?.focus();
    const onPointer = (event: PointerEvent) => {
      if (event.target instanceof Node && wrapRef.current?.contains(event.target)) return;
      close(false);
    };
    document.addEventListener('pointerdown', onPointer, true);
    return () => document.removeEventListener('pointerdown', onPointer, true);
  }, [open, close]);

  const onMenuKey = (event: React.KeyboardEvent) => {
    const list = items();
    const at = list.indexOf(document.activeElement as HTMLButtonElement);
    let next: HTMLButtonElement | undefined;
    if (event.key === 'ArrowDown') next = list[(at + 1) % list.length];
    else if (event.key === 'ArrowUp') next = list[(at - 1 + list.length) % list.length];
    else if (event.key === 'Home') next = list[0];
    else if (event.key === 'End') next = list[list.length - 1];
    else if (event.key === 'Escape') {
      event.preventDefault();
      // The app's own Escape (leave playback) must not also fire.
      event.stopPropagation();
      event.nativeEvent.stopImmediatePropagation();
      close(true);
      return;
    } else if (event.key === 'Tab') {
      // Tab leaves the menu: it closes, and the focus goes back to its button.
      event.preventDefault();
      close(true);
      return;
    }
    if (next) {
      event.preventDefault();
      event.stopPropagation();
      next.focus();
    }
  };

  return (
    <div className={`menu ${className}`} ref={wrapRef}>
      <button
        ref={buttonRef}
        type="button"
        className="btn menu-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        aria-label={label}
        onClick={() => {
          focusOnOpen.current = 'first';
          setOpen((o) => !o);
        }}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
            event.preventDefault();
            event.stopPropagation();
            focusOnOpen.current = event.key === 'ArrowUp' ? 'last' : 'first';
            setOpen(true);
          }
        }}
      >
        {button}
      </button>
      {open && (
        <div
          id={id}
          ref={menuRef}
          className="menu-items"
          role="menu"
          aria-label={label}
          tabIndex={-1}
          onKeyDown={onMenuKey}
        >
          {sections.map((section, s) => (
            // biome-ignore lint/a11y/useSemanticElements: a group of menu entries, not of form fields
            <div
              key={section.label ?? s}
              role="group"
              aria-label={section.label}
              className="menu-section"
            >
              {section.label && (
                <div className="menu-section-title" aria-hidden="true">
                  {section.label}
                </div>
              )}
              {section.entries.map((entry) => (
                <Item key={entry.key} entry={entry} onDone={() => close(true)} />
              ))}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

/** The entries of a menu that can take the focus, in order. */
function menuItems(menu: HTMLElement | null): HTMLButtonElement[] {
  return Array.from(menu?.querySelectorAll<HTMLButtonElement>('[role^="menuitem"]') ?? []).filter(
    (b) => !b.disabled,
  );
}

function Item({ entry, onDone }: { entry: MenuEntry; onDone: () => void }) {
  const select = () => {
    onDone();
    entry.onSelect();
  };
  const content = (
    <>
      <span className="menu-item-label">
        <span className="menu-check" aria-hidden="true">
          {entry.checked ? '✓' : ''}
        </span>
        {entry.label}
      </span>
      {entry.hint && <kbd>{entry.hint}</kbd>}
    </>
  );
  if (entry.checked !== undefined) {
    return (
      <button
        type="button"
        className="menu-item"
        role="menuitemcheckbox"
        aria-checked={entry.checked}
        disabled={entry.disabled}
        tabIndex={0}
        onClick={select}
      >
        {content}
      </button>
    );
  }
  return (
    <button
      type="button"
      className="menu-item"
      role="menuitem"
      disabled={entry.disabled}
      tabIndex={0}
      onClick={select}
    >
      {content}
    </button>
  );
}
