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
import type { SaleReport } from '../src/api/storefront/operator-types';

Chart.register(BarController, BarElement, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

/** x is seconds since the sale's first order: seconds without orders are gaps in the bars, not missing categories. */
function points(report: SaleReport, value: (second: SaleReport['timeline'][number]) => number) {
  const start = report.timeline.length > 0 ? Date.parse(report.timeline[0].at) : 0;
  return report.timeline.map((second) => ({ x: (Date.parse(second.at) - start) / 1000, y: value(second) }));
}

export class SaleChart {
  private readonly chart: Chart<'line' | 'bar', { x: number; y: number }[]>;

  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart(canvas, {
      data: {
        datasets: [
          { type: 'line', label: 'Stock (PostgreSQL)', data: [], yAxisID: 'stock', stepped: 'after', pointRadius: 0 },
          { type: 'bar', label: 'Purchases / s', data: [], yAxisID: 'rate' },
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
    stock.data = points(report, (second) => second.stock);
    rate.data = points(report, (second) => second.orders);
    this.chart.update();
  }
}
