/** Small line icons drawn in the text colour (no icon font: a missing glyph shows as a box). */

export function GatesIcon() {
  return (
    <svg className="icon" viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
      <rect
        x="2"
        y="2"
        width="6.5"
        height="6.5"
        rx="1.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
      />
      <rect
        x="11.5"
        y="2"
        width="6.5"
        height="6.5"
        rx="1.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
      />
      <rect
        x="2"
        y="11.5"
        width="6.5"
        height="6.5"
        rx="1.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
      />
      <path
        d="M14.75 11.5v6.5M11.5 14.75h6.5"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinecap="round"
      />
    </svg>
  );
}

export function MoreIcon() {
  return (
    <svg className="icon" viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
      <circle cx="4" cy="10" r="1.9" fill="currentColor" />
      <circle cx="10" cy="10" r="1.9" fill="currentColor" />
      <circle cx="16" cy="10" r="1.9" fill="currentColor" />
    </svg>
  );
}
