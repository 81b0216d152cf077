"""HTML → PDF with WeasyPrint, fetching nothing remote and no file outside the project folder."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse


def write_pdf(html: str, target: Path, project_dir: Path) -> None:
    """Render the report HTML to a PDF file."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    root = project_dir.resolve()

    class ProjectOnly(URLFetcher):
        """Embedded data: URIs and files inside the project; everything else is refused."""

        def fetch(self, url, headers=None):
            if url.startswith("file:"):
                path = Path(unquote(urlparse(url).path)).resolve()
                if not path.is_relative_to(root):
                    raise ValueError(f"cjmgen reads no file outside the project: {path}")
            return super().fetch(url, headers)

    fetcher = ProjectOnly(allowed_protocols={"data", "file"}, allow_redirects=False)
    weasyprint.HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher).write_pdf(target)
