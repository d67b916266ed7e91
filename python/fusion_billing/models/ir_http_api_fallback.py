"""Lago's JSON 404 for a path under the API's base path that no route matches at all.

The catch-all route cannot match every such path: werkzeug's `path` converter stops at a newline
(`/api/v1/events/a%0Ab`). Odoo then tries its fallback, serving an attachment by URL (whose query
fails on a NUL in the path), and answers its HTML 404 page. An API client gets Lago's error body
instead, whatever the path holds."""

from odoo import models
from odoo.http import request

from ..controllers.api import is_api_request, path_not_found


class IrHttp(models.AbstractModel):
    _inherit = 'ir.http'

    @classmethod
    def _serve_fallback(cls):
        if is_api_request(request.httprequest):
            return path_not_found()
        return super()._serve_fallback()
