/** esbuild bundles imported stylesheets into the app's main.css. */
declare module '*.css';
