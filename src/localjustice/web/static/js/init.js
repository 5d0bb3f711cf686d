// Runs first in <body>: marks the page as having JavaScript, as GOV.UK Frontend expects.
// A file, not an inline script, so the content security policy can forbid inline script.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '')
