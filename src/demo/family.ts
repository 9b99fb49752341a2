/** The demo's task family: sorting without repeated letters, where length is the only knob of difficulty. Its own module, so the CLI's help can name it without loading the demo. */
export const DEMO_FAMILY = 'sort-distinct';
