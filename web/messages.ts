import type { Tone } from './dom';

export interface Explained {
  text: string;
  tone: Tone;
}

/** What a buyer reads for each outcome the API can give, by its stable code. */
export function explain(code: string, fallback: string, maxPerUser?: number): Explained {
  switch (code) {
    case 'SOLD_OUT':
      return { text: 'Sold out: every unit has been taken.', tone: 'warning' };
    case 'PURCHASE_LIMIT':
      return {
        text: `Limit reached: each buyer may buy at most ${maxPerUser ?? 'a few'} of this product.`,
        tone: 'warning',
      };
    case 'INSUFFICIENT_STOCK':
      return { text: 'Not enough units left for that quantity: try fewer.', tone: 'warning' };
    case 'UNAUTHENTICATED':
      return { text: 'Your token is missing, expired or not valid: paste a fresh one below.', tone: 'error' };
    case 'PRODUCT_NOT_FOUND':
      return { text: 'This product does not exist.', tone: 'error' };
    default:
      return { text: fallback || 'Something went wrong; please retry.', tone: 'error' };
  }
}
