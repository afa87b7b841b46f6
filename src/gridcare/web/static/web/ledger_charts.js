// The ledger report's charts (ECharts): aged receivables as stacked bars per age band, and the
// collection rate per month as one line per org unit. The data is the page's JSON
// (#ledger-chart-data); the tables beside the charts hold the same figures.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("ledger-chart-data");
  if (!source || typeof echarts === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  const aged = document.getElementById("aged-chart");
  if (aged) {
    echarts.init(aged).setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      xAxis: { type: "category", data: data.bands },
      yAxis: { type: "value", name: data.labels.owed },
      series: data.aged.map((row) => ({
        name: row.name,
        type: "bar",
        stack: "owed",
        data: row.values.map(Number),
      })),
    });
  }
  const rate = document.getElementById("rate-chart");
  if (rate) {
    echarts.init(rate).setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      xAxis: { type: "category", data: data.months.map((month) => `${month}`) },
      yAxis: { type: "value", name: data.labels.rate },
      series: data.rates.map((row) => ({
        name: row.name,
        type: "line",
        connectNulls: false,
        data: row.values.map((value) => (value === null ? null : Number(value))),
      })),
    });
  }
});
