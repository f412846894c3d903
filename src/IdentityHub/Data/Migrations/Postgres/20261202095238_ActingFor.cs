using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdentityHub.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ActingFor : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "EnterpriseOnly",
                table: "RelyingParties",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "ActingForId",
                table: "LoginJourneys",
                type: "character varying(14)",
                maxLength: 14,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ActingForName",
                table: "LoginJourneys",
                type: "character varying(300)",
                maxLength: 300,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ActingForRole",
                table: "LoginJourneys",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ActingForSource",
                table: "LoginJourneys",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "AsksEnterprise",
                table: "LoginJourneys",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "EnterpriseOnly",
                table: "LoginJourneys",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "LastActingFor",
                table: "HubSessions",
                type: "character varying(14)",
                maxLength: 14,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SourceEnterprises",
                table: "HubSessions",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "EnterpriseOnly",
                table: "RelyingParties");

            migrationBuilder.DropColumn(
                name: "ActingForId",
                table: "LoginJourneys");

            migrationBuilder.DropColumn(
                name: "ActingForName",
                table: "LoginJourneys");

            migrationBuilder.DropColumn(
                name: "ActingForRole",
                table: "LoginJourneys");

            migrationBuilder.DropColumn(
                name: "ActingForSource",
                table: "LoginJourneys");

            migrationBuilder.DropColumn(
                name: "AsksEnterprise",
                table: "LoginJourneys");

            migrationBuilder.DropColumn(
                name: "EnterpriseOnly",
                table: "LoginJourneys");

            migrationBuilder.DropColumn(
                name: "LastActingFor",
                table: "HubSessions");

            migrationBuilder.DropColumn(
                name: "SourceEnterprises",
                table: "HubSessions");
        }
    }
}
