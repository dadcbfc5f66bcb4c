from naswot_db.cli import main

main()
