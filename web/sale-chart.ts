/**
 * The sale of one product as the operator watches it: stock over time (a
 * line, left axis) and purchases per second (bars, right axis), both from the
 * operator report's SQL over the orders. Only the chart.js parts used here are
 * registered, so the bundle stays small.
 */
import {
  BarController,
  BarElement,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { SaleReport } from '../src/api/operator/operator-types';

Chart.register(BarController, BarElement, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

type Point = { x: number; y: number };

/** The page's palette (styles.css), read once: chart.js draws on a canvas, out of CSS' reach. */
const palette = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/**
 * x is seconds since the sale's first order, so seconds without orders stay
 * empty rather than disappear. The stock starts at what it was before the
 * first order and steps down at the end of each second; each second's
 * purchases are a bar in the middle of it.
 */
function series(report: SaleReport): { stock: Point[]; rate: Point[] } {
  const [first] = report.timeline;
  if (!first) return { stock: [], rate: [] };
  const start = Date.parse(first.at);
  const offset = (at: string) => (Date.parse(at) - start) / 1000;
  return {
    stock: [
      { x: 0, y: first.stock + first.units },
      ...report.timeline.map((second) => ({ x: offset(second.at) + 1, y: second.stock })),
    ],
    rate: report.timeline.map((second) => ({ x: offset(second.at) + 0.5, y: second.orders })),
  };
}

export class SaleChart {
  private readonly chart: Chart<'line' | 'bar', Point[]>;

  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart(canvas, {
      data: {
        datasets: [
          {
            type: 'line',
            label: 'Stock (PostgreSQL)',
            data: [],
            yAxisID: 'stock',
            stepped: 'before',
            pointRadius: 0,
            borderColor: palette('--brand'),
          },
          {
            type: 'bar',
            label: 'Purchases / s',
            data: [],
            yAxisID: 'rate',
            backgroundColor: palette('--low'),
            barPercentage: 1,
            categoryPercentage: 1,
          },
        ],
      },
      options: {
        // Redrawn every refresh: an animation would never settle.
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { type: 'linear', title: { display: true, text: 'seconds since the first order' } },
          stock: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'units' } },
          rate: {
            type: 'linear',
            position: 'right',
            beginAtZero: true,
            grid: { drawOnChartArea: false },
            title: { display: true, text: 'purchases / s' },
          },
        },
      },
    });
  }

  show(report: SaleReport): void {
    const [stock, rate] = this.chart.data.datasets;
    ({ stock: stock.data, rate: rate.data } = series(report));
    this.chart.update();
  }
}
