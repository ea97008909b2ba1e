"""Who is signed in, as the chat page shows it: the name, the role and a Sign out link.

The sign-in itself is assistant/access.py's (its /login page and session cookie guard every route, the UI's
included, once accounts or a login exist); this module only reads what that middleware put on the request.
"""

from __future__ import annotations

import html

import gradio as gr

from assistant.principal import Principal
from assistant.ui_documents import principal_of

SIGN_OUT = "/logout"


def signed_in_name(request: gr.Request | None) -> str | None:
    """The name the request signed in as (assistant/access.py's `request.state.user`), or None on the open app."""
    if request is None:
        return None
    inner = getattr(request, "request", None)
    state = getattr(inner, "state", None) if inner is not None else getattr(request, "state", None)
    name = getattr(state, "user", None)
    return name if isinstance(name, str) and name else None


def account_html(name: str | None, principal: Principal) -> str:
    """The header's line: "Signed in as alice (reader) · Sign out", or nothing when nobody signs in."""
    if name is None:
        return ""
    return (
        '<div class="cmo-account" data-user="{user}">Signed in as <strong>{user}</strong> ({role}) '
        '&middot; <a class="cmo-sign-out" href="{out}">Sign out</a></div>'
    ).format(user=html.escape(name, quote=True), role=html.escape(principal.role), out=SIGN_OUT)


def on_load(request: gr.Request) -> str:
    """The page's account line for its user."""
    return account_html(signed_in_name(request), principal_of(request))


def render() -> gr.HTML:
    """The (empty until the page loads) account line; wire it with `gr.on(None, on_load, None, it)`."""
    return gr.HTML("", elem_id="cmo-account", container=False)
