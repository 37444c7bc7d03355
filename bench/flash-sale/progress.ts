/** The live line while the sale runs: buyers settled, request rate, confirmed so far, stock left. */
import { SingleBar } from 'cli-progress';
import type { JsonClient } from '../../tools/lib/http';
import type { SaleRecorder } from './recorder';
import type { StockSampler } from './stock-sampler';

const TICK_MS = 250;
/** The rate shown is over this window, so that it moves without jittering. */
const RATE_WINDOW_MS = 1000;

export class SaleProgress {
  private readonly bar = new SingleBar({
    format:
      '{bar} {value}/{total} buyers | {rate} req/s | confirmed {confirmed} | stock left {stock} | in flight {inFlight} | {elapsed}s',
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 5000,
  });
  private readonly timer: NodeJS.Timeout;
  private readonly history: { at: number; requests: number }[] = [];

  constructor(
    buyers: number,
    private readonly recorder: SaleRecorder,
    private readonly sampler: StockSampler,
    private readonly client: JsonClient,
  ) {
    this.bar.start(buyers, 0, this.payload());
    this.timer = setInterval(() => this.bar.update(this.recorder.buyers.length, this.payload()), TICK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.bar.update(this.recorder.buyers.length, this.payload());
    this.bar.stop();
  }

  private payload() {
    const at = this.recorder.now();
    const requests = this.recorder.requests.length;
    this.history.push({ at, requests });
    while (this.history.length > 1 && at - this.history[0].at > RATE_WINDOW_MS) this.history.shift();
    const oldest = this.history[0];
    const rate = at > oldest.at ? ((requests - oldest.requests) * 1000) / (at - oldest.at) : 0;
    return {
      rate: Math.round(rate),
      confirmed: this.recorder.confirmations.length,
      stock: Number.isNaN(this.sampler.latestAvailable) ? '?' : this.sampler.latestAvailable,
      inFlight: this.client.inFlight,
      elapsed: (at / 1000).toFixed(1),
    };
  }
}
