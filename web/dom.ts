/** Looks up an element the page must have: a missing one is a bug in the page, said at once. */
export function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

/** A new element with text, or with children; text is never parsed as HTML. */
export function el(tag: string, className = '', content: string | Node[] = ''): HTMLElement {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (typeof content === 'string') element.textContent = content;
  else element.append(...content);
  return element;
}

export type Tone = 'info' | 'success' | 'warning' | 'error';

export function say(target: HTMLElement, text: string, tone: Tone = 'info'): void {
  target.textContent = text;
  target.dataset.tone = tone;
}
