/* global Chart, document */
// Draws the flash-sale report's charts from the JSON embedded in the page (see html-report.ts).
const charts = JSON.parse(document.getElementById('sale-data').textContent);
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#525252'];
// One colour per series name across every chart, so an outcome looks the same everywhere.
const names = [
  ...Object.keys(charts.rates),
  ...Object.keys(charts.histograms).map((name) => name.split(' ')[1]),
  ...Object.keys(charts.cpu.cores),
];
const order = [...new Set(names)];
const colour = (name) => PALETTE[order.indexOf(name) % PALETTE.length];
Chart.defaults.animation = false;
Chart.defaults.font.size = 11;

function chart(id, config) {
  return new Chart(document.getElementById(id), config);
}

const seconds = charts.confirmed.map((_, i) => ((i + 1) * charts.bucketS).toFixed(2));
chart('rates', {
  type: 'line',
  data: {
    labels: seconds,
    datasets: [
      ...Object.entries(charts.rates).map(([name, values]) => ({
        label: `${name} /s`,
        data: values,
        borderColor: colour(name),
        pointRadius: 0,
        yAxisID: 'rate',
      })),
      {
        label: 'confirmed (total)',
        data: charts.confirmed,
        borderColor: '#000',
        borderDash: [4, 3],
        pointRadius: 0,
        yAxisID: 'confirmed',
      },
    ],
  },
  options: {
    scales: {
      x: { title: { display: true, text: 'seconds since the sale opened' } },
      rate: { position: 'left', title: { display: true, text: 'answers per second' } },
      confirmed: { position: 'right', title: { display: true, text: 'purchases confirmed' }, grid: { display: false } },
    },
  },
});

const bounds = charts.histogramBoundsMs.map((b, i, all) => (i === all.length - 1 ? `>${all[i - 1]}` : `≤${b}`));
for (const pattern of ['sync', 'async', 'poll']) {
  const series = Object.entries(charts.histograms).filter(([name]) => name.startsWith(`${pattern} `));
  if (series.length === 0) continue;
  chart(`histogram-${pattern}`, {
    type: 'bar',
    data: {
      labels: bounds,
      datasets: series.map(([name, counts]) => ({
        label: name.slice(pattern.length + 1),
        data: counts,
        backgroundColor: colour(name.slice(pattern.length + 1)),
      })),
    },
    options: {
      scales: {
        x: { stacked: true, title: { display: true, text: 'latency, ms (log buckets)' } },
        y: { stacked: true, type: 'logarithmic', title: { display: true, text: 'requests' } },
      },
    },
  });
}

const points = (pairs) => pairs.map(([x, y]) => ({ x, y }));
chart('stock', {
  type: 'line',
  data: {
    datasets: [
      { label: 'PostgreSQL stock', data: points(charts.stock.postgres), borderColor: PALETTE[0], stepped: true },
      { label: 'Redis available', data: points(charts.stock.redis), borderColor: PALETTE[1], stepped: true },
      { label: 'SSE (first subscriber)', data: points(charts.stock.sse), borderColor: PALETTE[2], stepped: true },
    ].map((dataset) => ({ ...dataset, pointRadius: 0 })),
  },
  options: {
    scales: {
      x: { type: 'linear', title: { display: true, text: 'seconds since the sale opened' } },
      y: { beginAtZero: true, title: { display: true, text: 'units' } },
    },
  },
});

chart('cpu', {
  type: 'line',
  data: {
    labels: charts.cpu.t,
    datasets: Object.entries(charts.cpu.cores).map(([name, values]) => ({
      label: name,
      data: values,
      borderColor: colour(name),
      backgroundColor: `${colour(name)}99`,
      fill: true,
      pointRadius: 0,
    })),
  },
  options: {
    scales: {
      x: { title: { display: true, text: 'seconds' } },
      y: { stacked: true, beginAtZero: true, title: { display: true, text: 'cores busy' } },
    },
  },
});
