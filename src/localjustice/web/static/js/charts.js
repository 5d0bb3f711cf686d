// Render each dashboard chart: fetch its Vega-Lite spec from the JSON API and draw it with
// vega-embed. Expressions run through vega's interpreter (ast + expressionInterpreter), never
// `new Function`, and vega-embed adds no <style> element, so the strict content security policy
// holds. The table and summary beside each chart carry the same figures for everyone.
(function () {
  'use strict'

  function render (element) {
    var url = element.getAttribute('data-spec-url')
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) { throw new Error('chart spec ' + response.status) }
        return response.json()
      })
      .then(function (spec) {
        return window.vegaEmbed(element, spec, {
          renderer: 'canvas',
          actions: false,
          ast: true,
          expr: window.vegaEmbed.expressionInterpreter || window.vega.expressionInterpreter,
          defaultStyle: false,
          tooltip: false
        })
      })
      .then(function () { element.setAttribute('data-rendered', 'true') })
      .catch(function () {
        element.setAttribute('data-rendered', 'failed')
        element.textContent = 'The chart could not be drawn; the table below has the same figures.'
      })
  }

  var charts = document.querySelectorAll('.lj-chart[data-spec-url]')
  for (var i = 0; i < charts.length; i++) { render(charts[i]) }
})()
