using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdentityHub.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LoginJourneySteps : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Journeys in flight while the hub is upgraded keep their place.
            migrationBuilder.AddColumn<string>(
                name: "Step",
                table: "LoginJourneys",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "Authenticate");

            migrationBuilder.Sql("""
                UPDATE "LoginJourneys" SET "Step" = CASE
                    WHEN "ConsumedAt" IS NOT NULL THEN 'Done'
                    WHEN "CompletedAt" IS NOT NULL THEN 'Resume'
                    ELSE 'Authenticate' END
                """);

            migrationBuilder.DropColumn(
                name: "CompletedAt",
                table: "LoginJourneys");

            migrationBuilder.DropColumn(
                name: "ConsumedAt",
                table: "LoginJourneys");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "CompletedAt",
                table: "LoginJourneys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ConsumedAt",
                table: "LoginJourneys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.Sql("""
                UPDATE "LoginJourneys" SET
                    "CompletedAt" = CASE WHEN "Step" <> 'Authenticate' THEN "CreatedAt" END,
                    "ConsumedAt" = CASE WHEN "Step" = 'Done' THEN "CreatedAt" END
                """);

            migrationBuilder.DropColumn(
                name: "Step",
                table: "LoginJourneys");
        }
    }
}
