// Start GOV.UK Frontend's components (service navigation menu, error summary focus, ...).
import { initAll } from '/static/vendor/govuk/govuk-frontend.min.js'

initAll()
