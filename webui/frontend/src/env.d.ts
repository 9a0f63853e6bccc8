// Vite handles CSS imports: the stylesheet is bundled, not a module with exports.
declare module '*.css';
