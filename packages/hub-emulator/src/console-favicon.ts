/** The console's icon: a hub with three links, plain SVG (no network, no build step). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#1f5f8b"/>
<g stroke="#fff" stroke-width="2.5" stroke-linecap="round"><path d="M16 16 7 8M16 16l9-8M16 16v10"/></g>
<circle cx="16" cy="16" r="5" fill="#fff"/><circle cx="7" cy="8" r="3" fill="#9fd3f5"/><circle cx="25" cy="8" r="3" fill="#9fd3f5"/><circle cx="16" cy="26" r="3" fill="#9fd3f5"/>
</svg>
`;
