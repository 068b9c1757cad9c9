"""A page of its own for the staff's irreversible actions (issue 16): the first POST of
such a form shows what will happen and changes nothing; the same form sent again with
`confirmed=1` (and its CSRF token) does it. Server-side rendered, so it works without
JavaScript. List actions are confirmed the same way in `ScopedModelView.handle_action`."""
import functools

from flask import request


def confirm_first(describe):
    """Decorate a POST handler of a staff view. `describe(view)` returns (title, points):
    what the confirmation page says will happen, or None where nothing needs confirming
    (the role may not act, or the verdict is not a destructive one) and the handler answers.
    `describe` reads its record through the view's scoped getters: 404 outside the scope."""
    def decorate(handler):
        @functools.wraps(handler)
        def confirmed_first(view, *args, **kwargs):
            if request.form.get("confirmed") != "1":
                described = describe(view)
                if described is not None:
                    title, points = described
                    fields = [(name, value) for name, value in request.form.items(multi=True)
                              if name not in ("csrf_token", "confirmed")]
                    return view.render("admin/confirm.html", title=title, points=points, fields=fields,
                                       url=request.path, back=request.referrer or view.get_url(".index_view"))
            return handler(view, *args, **kwargs)
        return confirmed_first
    return decorate
