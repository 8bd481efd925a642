from voltline.cli import app

app()
